ALTER TABLE `apps` ADD `require_verified` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `apps` ADD `allowed_origins` text DEFAULT '*' NOT NULL;