CREATE TABLE `billing_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_id` integer NOT NULL,
	`list_id` integer NOT NULL,
	`client_id` integer,
	`billable_seconds` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`provider_price_micros` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_lines_call_uq` ON `billing_lines` (`call_id`);--> statement-breakpoint
CREATE INDEX `billing_lines_list_idx` ON `billing_lines` (`list_id`);--> statement-breakpoint
CREATE TABLE `call_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_id` integer,
	`kind` text NOT NULL,
	`status` text,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`payload` text NOT NULL,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `call_events_call_idx` ON `call_events` (`call_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_id` integer NOT NULL,
	`list_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`ref` text NOT NULL,
	`provider_uuid` text,
	`conversation_uuid` text,
	`state` text DEFAULT 'creating' NOT NULL,
	`outcome` text,
	`answered_by` text,
	`provider_status` text,
	`provider_detail` text,
	`ivr_stage` text,
	`reprompts` integer DEFAULT 0 NOT NULL,
	`opted_out` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`duration_seconds` integer,
	`provider_rate_micros` integer,
	`provider_price_micros` integer,
	`network` text,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calls_ref_uq` ON `calls` (`ref`);--> statement-breakpoint
CREATE UNIQUE INDEX `calls_provider_uuid_uq` ON `calls` (`provider_uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `calls_contact_attempt_uq` ON `calls` (`contact_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `calls_state_idx` ON `calls` (`state`);--> statement-breakpoint
CREATE INDEX `calls_list_idx` ON `calls` (`list_id`);--> statement-breakpoint
CREATE TABLE `clients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`api_key_hash` text,
	`api_key_prefix` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_name_unique` ON `clients` (`name`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`list_id` integer NOT NULL,
	`row_number` integer NOT NULL,
	`phone_e164` text NOT NULL,
	`country` text,
	`name` text,
	`language` text,
	`timezone` text,
	`attributes` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`list_id`) REFERENCES `lists`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_phone_list_uq` ON `contacts` (`phone_e164`,`list_id`);--> statement-breakpoint
CREATE INDEX `contacts_due_idx` ON `contacts` (`list_id`,`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `lists` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_id` integer,
	`name` text NOT NULL,
	`source_file` text,
	`default_country` text,
	`default_timezone` text,
	`previous_list_id` integer,
	`script` text DEFAULT '{}' NOT NULL,
	`policy` text DEFAULT '{}' NOT NULL,
	`tariff` text,
	`state` text DEFAULT 'ready' NOT NULL,
	`import_pid` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lists_client_name_idx` ON `lists` (`client_id`,`name`);--> statement-breakpoint
CREATE INDEX `lists_state_idx` ON `lists` (`state`);--> statement-breakpoint
CREATE TABLE `responses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_id` integer NOT NULL,
	`call_id` integer NOT NULL,
	`list_id` integer NOT NULL,
	`score` integer NOT NULL,
	`comment_status` text DEFAULT 'none' NOT NULL,
	`comment_recording_url` text,
	`comment_file` text,
	`comment_seconds` integer,
	`comment_download_attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `responses_contact_uq` ON `responses` (`contact_id`);--> statement-breakpoint
CREATE INDEX `responses_call_idx` ON `responses` (`call_id`);--> statement-breakpoint
CREATE INDEX `responses_list_idx` ON `responses` (`list_id`,`score`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`phone_e164` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL
);
