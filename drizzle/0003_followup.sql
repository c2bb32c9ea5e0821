CREATE TABLE `cases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`response_id` integer NOT NULL,
	`client_id` integer,
	`list_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`call_id` integer NOT NULL,
	`score` integer NOT NULL,
	`agent` text,
	`owner` text,
	`status` text DEFAULT 'open' NOT NULL,
	`note` text,
	`due_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`contacted_at` integer,
	`resolved_at` integer,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cases_response_uq` ON `cases` (`response_id`);--> statement-breakpoint
CREATE INDEX `cases_client_status_idx` ON `cases` (`client_id`,`status`);--> statement-breakpoint
CREATE INDEX `cases_list_status_idx` ON `cases` (`list_id`,`status`,`due_at`);--> statement-breakpoint
CREATE TABLE `interim_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`list_id` integer NOT NULL,
	`occurrence_at` integer NOT NULL,
	`json_file` text NOT NULL,
	`html_file` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`list_id`) REFERENCES `lists`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `interim_reports_list_occurrence_uq` ON `interim_reports` (`list_id`,`occurrence_at`);--> statement-breakpoint
CREATE TABLE `survey_triggers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_id` integer,
	`list_id` integer NOT NULL,
	`contact_id` integer,
	`phone_e164` text NOT NULL,
	`agent` text NOT NULL,
	`idempotency_scope` integer NOT NULL,
	`idempotency_key` text,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`message` text,
	`call_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`list_id`) REFERENCES `lists`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `survey_triggers_idempotency_uq` ON `survey_triggers` (`idempotency_scope`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `survey_triggers_phone_idx` ON `survey_triggers` (`phone_e164`);--> statement-breakpoint
CREATE INDEX `survey_triggers_contact_idx` ON `survey_triggers` (`contact_id`);--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`attempted_at` integer NOT NULL,
	`target` text NOT NULL,
	`status_code` integer,
	`error` text,
	`duration_ms` integer NOT NULL,
	FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_attempts_delivery_attempt_uq` ON `webhook_attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`client_id` integer,
	`list_id` integer NOT NULL,
	`response_id` integer,
	`payload` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_dedupe_uq` ON `webhook_deliveries` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_status_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_response_idx` ON `webhook_deliveries` (`response_id`);--> statement-breakpoint
ALTER TABLE `clients` ADD `alert_url` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `alert_secret` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `report_url` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `case_owner` text;--> statement-breakpoint
ALTER TABLE `lists` ADD `accepts_triggers` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `lists` ADD `follow_up` text DEFAULT '{}' NOT NULL;