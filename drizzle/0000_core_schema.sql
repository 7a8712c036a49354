CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `api_keys_app_idx` ON `api_keys` (`app_id`);--> statement-breakpoint
CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`signing_secret` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `customers` (
	`pk` integer PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`customer_id` text,
	`uid` text,
	`email` text,
	`data` text DEFAULT '{}' NOT NULL,
	`first_seen` integer,
	`last_seen` integer,
	`event_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_app_customer_id_uq` ON `customers` (`app_id`,`customer_id`) WHERE "customers"."customer_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `customers_app_uid_uq` ON `customers` (`app_id`,`uid`) WHERE "customers"."uid" is not null;--> statement-breakpoint
CREATE INDEX `customers_app_email_idx` ON `customers` (`app_id`,`email`) WHERE "customers"."email" is not null;--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`app_id` text NOT NULL,
	`customer_pk` integer NOT NULL,
	`user_pk` integer,
	`event` text NOT NULL,
	`event_date` integer NOT NULL,
	`received_at` integer NOT NULL,
	`event_data` text,
	`source` text NOT NULL,
	`verified` integer NOT NULL,
	`message_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_uq` ON `events` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_app_message_id_uq` ON `events` (`app_id`,`message_id`) WHERE "events"."message_id" is not null;--> statement-breakpoint
CREATE INDEX `events_app_date_idx` ON `events` (`app_id`,`event_date`,`seq`);--> statement-breakpoint
CREATE INDEX `events_customer_date_idx` ON `events` (`customer_pk`,`event_date`,`seq`);--> statement-breakpoint
CREATE TABLE `users` (
	`pk` integer PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`customer_pk` integer NOT NULL,
	`uid` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`first_seen` integer,
	`last_seen` integer,
	`event_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_pk`) REFERENCES `customers`(`pk`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_customer_uid_uq` ON `users` (`customer_pk`,`uid`);