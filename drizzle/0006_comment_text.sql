CREATE TABLE `response_themes` (
	`response_id` integer NOT NULL,
	`list_id` integer NOT NULL,
	`theme` text NOT NULL,
	PRIMARY KEY(`response_id`, `theme`),
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `response_themes_list_idx` ON `response_themes` (`list_id`,`theme`);--> statement-breakpoint
CREATE TABLE `theme_corrections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`response_id` integer NOT NULL,
	`list_id` integer NOT NULL,
	`actor` text NOT NULL,
	`before` text NOT NULL,
	`after` text NOT NULL,
	`corrected_at` integer NOT NULL,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `theme_corrections_response_idx` ON `theme_corrections` (`response_id`);--> statement-breakpoint
ALTER TABLE `clients` ADD `taxonomy` text;--> statement-breakpoint
ALTER TABLE `contacts` ADD `value` real;--> statement-breakpoint
ALTER TABLE `lists` ADD `value_column` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_mode` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_text_status` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_text` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_language` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_confidence` real;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_transcript_url` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_text_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `responses` ADD `comment_text_due_at` integer;--> statement-breakpoint
ALTER TABLE `responses` ADD `sentiment` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `sentiment_source` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `themes_source` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `reason` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `reason_outcome` text;--> statement-breakpoint
CREATE INDEX `responses_text_due_idx` ON `responses` (`comment_text_due_at`);