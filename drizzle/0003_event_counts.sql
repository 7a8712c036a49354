CREATE TABLE `app_daily_counts` (
	`app_id` text NOT NULL,
	`day` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`app_id`, `day`, `event`)
);
--> statement-breakpoint
CREATE TABLE `customer_daily_counts` (
	`customer_pk` integer NOT NULL,
	`app_id` text NOT NULL,
	`day` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `day`, `event`)
);
--> statement-breakpoint
CREATE INDEX `customer_daily_counts_app_day_idx` ON `customer_daily_counts` (`app_id`,`day`,`customer_pk`);--> statement-breakpoint
CREATE TABLE `customer_event_stats` (
	`customer_pk` integer NOT NULL,
	`app_id` text NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `event`)
);
--> statement-breakpoint
CREATE INDEX `customer_event_stats_app_event_idx` ON `customer_event_stats` (`app_id`,`event`);--> statement-breakpoint
-- Databases created before these tables: count the events already stored.
INSERT INTO `customer_event_stats` (`customer_pk`, `app_id`, `event`, `count`, `first_seen`, `last_seen`)
SELECT `customer_pk`, `app_id`, `event`, count(*), min(`event_date`), max(`event_date`) FROM `events` GROUP BY `customer_pk`, `event`;--> statement-breakpoint
INSERT INTO `customer_daily_counts` (`customer_pk`, `app_id`, `day`, `event`, `count`)
SELECT `customer_pk`, `app_id`, `event_date` / 86400000, `event`, count(*) FROM `events` GROUP BY `customer_pk`, `event_date` / 86400000, `event`;--> statement-breakpoint
INSERT INTO `app_daily_counts` (`app_id`, `day`, `event`, `count`)
SELECT `app_id`, `event_date` / 86400000, `event`, count(*) FROM `events` GROUP BY `app_id`, `event_date` / 86400000, `event`;
