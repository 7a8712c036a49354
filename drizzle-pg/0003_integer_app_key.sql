-- Issue 18: the event and count tables reference their app by an integer (apps.pk) instead of
-- the text id. drizzle-kit generated this file and its snapshot; its SQL was then replaced by
-- hand, before it was ever committed, because what it generated cannot run on a database with
-- rows: it adds NOT NULL columns with no value and never fills them from app_id. Here each
-- column is added, filled from its app, then made NOT NULL (a row whose app is missing fails
-- that and stops the migration rather than being dropped), and the keys and indexes move over.
ALTER TABLE "apps" ADD COLUMN "pk" bigint;
--> statement-breakpoint
-- Numbered in the order the apps were created.
UPDATE "apps" SET "pk" = numbered.n FROM (SELECT "id", row_number() OVER (ORDER BY "created_at", "id" COLLATE "C") AS n FROM "apps") AS numbered
  WHERE "apps"."id" = numbered."id";
--> statement-breakpoint
ALTER TABLE "apps" ALTER COLUMN "pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "apps" ADD CONSTRAINT "apps_pk_unique" UNIQUE("pk");
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "events" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "events"."app_id";
--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "customer_event_stats" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "customer_event_stats" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "customer_event_stats"."app_id";
--> statement-breakpoint
ALTER TABLE "customer_event_stats" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "customer_daily_counts" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "customer_daily_counts" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "customer_daily_counts"."app_id";
--> statement-breakpoint
ALTER TABLE "customer_daily_counts" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "customer_daily_totals" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "customer_daily_totals" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "customer_daily_totals"."app_id";
--> statement-breakpoint
ALTER TABLE "customer_daily_totals" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "app_active_customers" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "app_active_customers" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "app_active_customers"."app_id";
--> statement-breakpoint
ALTER TABLE "app_active_customers" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "app_daily_counts" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "app_daily_counts" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "app_daily_counts"."app_id";
--> statement-breakpoint
ALTER TABLE "app_daily_counts" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "app_event_stats" ADD COLUMN "app_pk" bigint;
--> statement-breakpoint
UPDATE "app_event_stats" SET "app_pk" = "apps"."pk" FROM "apps" WHERE "apps"."id" = "app_event_stats"."app_id";
--> statement-breakpoint
ALTER TABLE "app_event_stats" ALTER COLUMN "app_pk" SET NOT NULL;
--> statement-breakpoint
DROP INDEX "customer_daily_counts_app_day_idx";
--> statement-breakpoint
DROP INDEX "customer_event_stats_app_event_idx";
--> statement-breakpoint
DROP INDEX "events_app_message_id_uq";
--> statement-breakpoint
DROP INDEX "events_app_date_idx";
--> statement-breakpoint
ALTER TABLE "app_active_customers" DROP CONSTRAINT "app_active_customers_app_id_interval_period_pk";
--> statement-breakpoint
ALTER TABLE "app_daily_counts" DROP CONSTRAINT "app_daily_counts_app_id_day_event_pk";
--> statement-breakpoint
ALTER TABLE "app_event_stats" DROP CONSTRAINT "app_event_stats_app_id_event_pk";
--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "customer_event_stats" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "customer_daily_counts" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "customer_daily_totals" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "app_active_customers" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "app_daily_counts" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "app_event_stats" DROP COLUMN "app_id";
--> statement-breakpoint
ALTER TABLE "app_active_customers" ADD CONSTRAINT "app_active_customers_app_pk_interval_period_pk" PRIMARY KEY("app_pk","interval","period");
--> statement-breakpoint
ALTER TABLE "app_daily_counts" ADD CONSTRAINT "app_daily_counts_app_pk_day_event_pk" PRIMARY KEY("app_pk","day","event");
--> statement-breakpoint
ALTER TABLE "app_event_stats" ADD CONSTRAINT "app_event_stats_app_pk_event_pk" PRIMARY KEY("app_pk","event");
--> statement-breakpoint
CREATE INDEX "customer_daily_counts_app_day_idx" ON "customer_daily_counts" USING btree ("app_pk","day","customer_pk");
--> statement-breakpoint
CREATE INDEX "customer_event_stats_app_event_idx" ON "customer_event_stats" USING btree ("app_pk","event");
--> statement-breakpoint
CREATE UNIQUE INDEX "events_app_message_id_uq" ON "events" USING btree ("app_pk","message_id") WHERE "events"."message_id" is not null;
--> statement-breakpoint
CREATE INDEX "events_app_date_idx" ON "events" USING btree ("app_pk","event_date","seq");
