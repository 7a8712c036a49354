CREATE TABLE `app_event_stats` (
	`app_id` text NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`app_id`, `event`)
);
--> statement-breakpoint
CREATE INDEX `customers_app_last_seen_idx` ON `customers` (`app_id`,`last_seen`);--> statement-breakpoint
CREATE INDEX `customers_app_first_seen_idx` ON `customers` (`app_id`,`first_seen`);--> statement-breakpoint
CREATE INDEX `customers_app_event_count_idx` ON `customers` (`app_id`,`event_count`);--> statement-breakpoint
CREATE INDEX `customers_app_email_search_idx` ON `customers` (`app_id`,lower(email));--> statement-breakpoint
CREATE INDEX `customers_app_name_search_idx` ON `customers` (`app_id`,lower(data ->> '$.name'));--> statement-breakpoint
-- Databases created before this table: derive it from the per-customer stats, which are exact.
INSERT INTO `app_event_stats` (`app_id`, `event`, `count`, `first_seen`, `last_seen`)
SELECT `app_id`, `event`, sum(`count`), min(`first_seen`), max(`last_seen`) FROM `customer_event_stats` GROUP BY `app_id`, `event`;
