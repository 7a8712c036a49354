CREATE TABLE `app_health_runs` (
	`app_id` text PRIMARY KEY NOT NULL,
	`median_breadth` integer NOT NULL,
	`customers_scored` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`computed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `billing_events` (
	`pk` integer PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`customer_pk` integer NOT NULL,
	`subscription_pk` integer,
	`provider` text NOT NULL,
	`kind` text NOT NULL,
	`movement` text,
	`occurred_at` integer NOT NULL,
	`currency` text,
	`mrr_before` integer,
	`mrr_after` integer,
	`detail` text NOT NULL,
	`source_event_id` text
);
--> statement-breakpoint
CREATE INDEX `billing_events_customer_idx` ON `billing_events` (`customer_pk`,`occurred_at`,`pk`);--> statement-breakpoint
CREATE INDEX `billing_events_app_movement_idx` ON `billing_events` (`app_id`,`occurred_at`) WHERE "billing_events"."movement" is not null;--> statement-breakpoint
CREATE TABLE `provider_events` (
	`app_id` text NOT NULL,
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `provider`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`pk` integer PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`provider` text NOT NULL,
	`subscription_id` text NOT NULL,
	`customer_pk` integer NOT NULL,
	`status` text NOT NULL,
	`plan` text,
	`plan_name` text,
	`items` text NOT NULL,
	`discounts` text NOT NULL,
	`quantity` integer NOT NULL,
	`currency` text NOT NULL,
	`mrr` integer NOT NULL,
	`trial_start` integer,
	`trial_end` integer,
	`current_period_end` integer,
	`cancel_at_period_end` integer NOT NULL,
	`canceled_at` integer,
	`ended_at` integer,
	`started_at` integer,
	`source_updated_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_pk`) REFERENCES `customers`(`pk`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_app_provider_id_uq` ON `subscriptions` (`app_id`,`provider`,`subscription_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_customer_idx` ON `subscriptions` (`customer_pk`);--> statement-breakpoint
ALTER TABLE `apps` ADD `stripe_webhook_secret` text;--> statement-breakpoint
ALTER TABLE `apps` ADD `health_weights` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `mrr` integer;--> statement-breakpoint
ALTER TABLE `customers` ADD `currency` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `billing_status` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `plan` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `billing_updated_at` integer;--> statement-breakpoint
ALTER TABLE `customers` ADD `billing_deleted_at` integer;--> statement-breakpoint
ALTER TABLE `customers` ADD `health_score` integer;--> statement-breakpoint
CREATE INDEX `customers_app_mrr_idx` ON `customers` (`app_id`,`mrr`);--> statement-breakpoint
CREATE INDEX `customers_app_health_idx` ON `customers` (`app_id`,`health_score`);--> statement-breakpoint
CREATE INDEX `customers_app_billing_status_idx` ON `customers` (`app_id`,`billing_status`) WHERE "customers"."billing_status" is not null;--> statement-breakpoint
CREATE INDEX `customers_app_plan_idx` ON `customers` (`app_id`,`plan`) WHERE "customers"."plan" is not null;