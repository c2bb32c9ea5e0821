CREATE TABLE `erasures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`erased_at` integer NOT NULL,
	`contacts` integer NOT NULL,
	`lists` integer NOT NULL,
	`calls` integer NOT NULL,
	`responses` integer NOT NULL,
	`recordings` integer NOT NULL,
	`billing_lines_kept` integer NOT NULL,
	`suppression_kept` integer NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_billing_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_id` integer,
	`list_id` integer NOT NULL,
	`client_id` integer,
	`billable_seconds` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`provider_price_micros` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_billing_lines`("id", "call_id", "list_id", "client_id", "billable_seconds", "amount_minor", "currency", "provider_price_micros", "created_at") SELECT "id", "call_id", "list_id", "client_id", "billable_seconds", "amount_minor", "currency", "provider_price_micros", "created_at" FROM `billing_lines`;--> statement-breakpoint
DROP TABLE `billing_lines`;--> statement-breakpoint
ALTER TABLE `__new_billing_lines` RENAME TO `billing_lines`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `billing_lines_call_uq` ON `billing_lines` (`call_id`);--> statement-breakpoint
CREATE INDEX `billing_lines_list_idx` ON `billing_lines` (`list_id`);