-- Issue 18: the event and count tables reference their app by an integer (apps.pk) instead of
-- the text id. drizzle-kit generated this file and its snapshot; its SQL was then replaced by
-- hand, before it was ever committed, because what it generated cannot run: it adds `app_pk`
-- NOT NULL with no value (SQLite refuses that outright) and never fills it from app_id. Each table is rebuilt (SQLite cannot change a primary key
-- or drop an indexed column in place) with app_pk taken from its app; a row whose app is
-- missing would fail the NOT NULL and stop the migration rather than be dropped.
--
-- apps itself is not rebuilt: other tables' foreign keys point at it, and DROP TABLE would
-- break them inside the migration's transaction. SQLite cannot add a NOT NULL column without a
-- default, hence DEFAULT 0; the store always writes pk (max + 1) when it creates an app.
ALTER TABLE `apps` ADD `pk` integer NOT NULL DEFAULT 0;
--> statement-breakpoint
UPDATE `apps` SET `pk` = rowid;
--> statement-breakpoint
CREATE UNIQUE INDEX `apps_pk_unique` ON `apps` (`pk`);
--> statement-breakpoint
CREATE TABLE `__new_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`app_pk` integer NOT NULL,
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
INSERT INTO `__new_events` (`seq`, `id`, `app_pk`, `customer_pk`, `user_pk`, `event`, `event_date`, `received_at`, `event_data`, `source`, `verified`, `message_id`)
  SELECT `seq`, `id`, (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `events`.`app_id`), `customer_pk`, `user_pk`, `event`, `event_date`, `received_at`, `event_data`, `source`, `verified`, `message_id` FROM `events`;
--> statement-breakpoint
DROP TABLE `events`;
--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;
--> statement-breakpoint
CREATE UNIQUE INDEX `events_app_message_id_uq` ON `events` (`app_pk`,`message_id`) WHERE "events"."message_id" is not null;
--> statement-breakpoint
CREATE INDEX `events_app_date_idx` ON `events` (`app_pk`,`event_date`,`seq`);
--> statement-breakpoint
CREATE INDEX `events_customer_date_idx` ON `events` (`customer_pk`,`event_date`,`seq`);
--> statement-breakpoint
CREATE TABLE `__new_customer_event_stats` (
	`customer_pk` integer NOT NULL,
	`app_pk` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `event`)
);
--> statement-breakpoint
INSERT INTO `__new_customer_event_stats` (`customer_pk`, `app_pk`, `event`, `count`, `first_seen`, `last_seen`)
  SELECT `customer_pk`, (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `event`, `count`, `first_seen`, `last_seen` FROM `customer_event_stats` `t`;
--> statement-breakpoint
DROP TABLE `customer_event_stats`;
--> statement-breakpoint
ALTER TABLE `__new_customer_event_stats` RENAME TO `customer_event_stats`;
--> statement-breakpoint
CREATE INDEX `customer_event_stats_app_event_idx` ON `customer_event_stats` (`app_pk`,`event`);
--> statement-breakpoint
CREATE TABLE `__new_customer_daily_counts` (
	`customer_pk` integer NOT NULL,
	`app_pk` integer NOT NULL,
	`day` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `day`, `event`)
);
--> statement-breakpoint
INSERT INTO `__new_customer_daily_counts` (`customer_pk`, `app_pk`, `day`, `event`, `count`)
  SELECT `customer_pk`, (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `day`, `event`, `count` FROM `customer_daily_counts` `t`;
--> statement-breakpoint
DROP TABLE `customer_daily_counts`;
--> statement-breakpoint
ALTER TABLE `__new_customer_daily_counts` RENAME TO `customer_daily_counts`;
--> statement-breakpoint
CREATE INDEX `customer_daily_counts_app_day_idx` ON `customer_daily_counts` (`app_pk`,`day`,`customer_pk`);
--> statement-breakpoint
CREATE TABLE `__new_customer_daily_totals` (
	`customer_pk` integer NOT NULL,
	`app_pk` integer NOT NULL,
	`day` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `day`)
);
--> statement-breakpoint
INSERT INTO `__new_customer_daily_totals` (`customer_pk`, `app_pk`, `day`, `count`)
  SELECT `customer_pk`, (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `day`, `count` FROM `customer_daily_totals` `t`;
--> statement-breakpoint
DROP TABLE `customer_daily_totals`;
--> statement-breakpoint
ALTER TABLE `__new_customer_daily_totals` RENAME TO `customer_daily_totals`;
--> statement-breakpoint
CREATE TABLE `__new_app_active_customers` (
	`app_pk` integer NOT NULL,
	`interval` text NOT NULL,
	`period` integer NOT NULL,
	`customers` integer NOT NULL,
	PRIMARY KEY(`app_pk`, `interval`, `period`)
);
--> statement-breakpoint
INSERT INTO `__new_app_active_customers` (`app_pk`, `interval`, `period`, `customers`)
  SELECT (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `interval`, `period`, `customers` FROM `app_active_customers` `t`;
--> statement-breakpoint
DROP TABLE `app_active_customers`;
--> statement-breakpoint
ALTER TABLE `__new_app_active_customers` RENAME TO `app_active_customers`;
--> statement-breakpoint
CREATE TABLE `__new_app_daily_counts` (
	`app_pk` integer NOT NULL,
	`day` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`app_pk`, `day`, `event`)
);
--> statement-breakpoint
INSERT INTO `__new_app_daily_counts` (`app_pk`, `day`, `event`, `count`)
  SELECT (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `day`, `event`, `count` FROM `app_daily_counts` `t`;
--> statement-breakpoint
DROP TABLE `app_daily_counts`;
--> statement-breakpoint
ALTER TABLE `__new_app_daily_counts` RENAME TO `app_daily_counts`;
--> statement-breakpoint
CREATE TABLE `__new_app_event_stats` (
	`app_pk` integer NOT NULL,
	`event` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`app_pk`, `event`)
);
--> statement-breakpoint
INSERT INTO `__new_app_event_stats` (`app_pk`, `event`, `count`, `first_seen`, `last_seen`)
  SELECT (SELECT `pk` FROM `apps` WHERE `apps`.`id` = `t`.`app_id`), `event`, `count`, `first_seen`, `last_seen` FROM `app_event_stats` `t`;
--> statement-breakpoint
DROP TABLE `app_event_stats`;
--> statement-breakpoint
ALTER TABLE `__new_app_event_stats` RENAME TO `app_event_stats`;
