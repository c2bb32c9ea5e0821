CREATE TABLE `dialer_lock` (
	`id` integer PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`pid` integer NOT NULL,
	`host` text NOT NULL,
	`command` text NOT NULL,
	`acquired_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`list_id` integer NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`until_minute` integer,
	`duration_ms` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`last_started_at` integer,
	`last_ended_at` integer,
	`last_result` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`list_id`) REFERENCES `lists`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedules_status_idx` ON `schedules` (`status`);--> statement-breakpoint
CREATE INDEX `schedules_list_idx` ON `schedules` (`list_id`);