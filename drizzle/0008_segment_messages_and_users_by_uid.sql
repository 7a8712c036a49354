CREATE TABLE `segment_messages` (
	`app_id` text NOT NULL,
	`message_id` text NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `message_id`)
);
--> statement-breakpoint
CREATE INDEX `users_app_uid_idx` ON `users` (`app_id`,`uid`);