CREATE TABLE `app_active_customers` (
	`app_id` text NOT NULL,
	`interval` text NOT NULL,
	`period` integer NOT NULL,
	`customers` integer NOT NULL,
	PRIMARY KEY(`app_id`, `interval`, `period`)
);
--> statement-breakpoint
CREATE TABLE `customer_daily_totals` (
	`customer_pk` integer NOT NULL,
	`app_id` text NOT NULL,
	`day` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`customer_pk`, `day`)
);
--> statement-breakpoint
-- Databases created before these tables: derive them from the per-customer daily counts.
-- A week starts on Monday: day 0 (1970-01-01) was a Thursday, so (day + 3) % 7 is 0 on Mondays.
INSERT INTO `customer_daily_totals` (`customer_pk`, `app_id`, `day`, `count`)
SELECT `customer_pk`, `app_id`, `day`, sum(`count`) FROM `customer_daily_counts` GROUP BY `customer_pk`, `day`;--> statement-breakpoint
INSERT INTO `app_active_customers` (`app_id`, `interval`, `period`, `customers`)
SELECT `app_id`, 'day', `day`, count(*) FROM `customer_daily_totals` GROUP BY `app_id`, `day`;--> statement-breakpoint
INSERT INTO `app_active_customers` (`app_id`, `interval`, `period`, `customers`)
SELECT `app_id`, 'week', `day` - ((`day` + 3) % 7) AS `period`, count(DISTINCT `customer_pk`) FROM `customer_daily_totals` GROUP BY `app_id`, `period`;--> statement-breakpoint
INSERT INTO `app_active_customers` (`app_id`, `interval`, `period`, `customers`)
SELECT `app_id`, 'month', CAST(julianday(date(`day` * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER) AS `period`, count(DISTINCT `customer_pk`)
FROM `customer_daily_totals` GROUP BY `app_id`, `period`;
