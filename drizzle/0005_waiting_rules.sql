ALTER TABLE `contacts` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `lists` ADD `planned_rules` text;--> statement-breakpoint
-- Triggers scheduled for their notBefore kept it as their call time; those outside the callee's hours kept only the opening.
UPDATE `contacts` SET `not_before` = (SELECT t.`call_at` FROM `survey_triggers` t WHERE t.`contact_id` = `contacts`.`id` AND t.`reason` = 'not_before')
WHERE `id` IN (SELECT `contact_id` FROM `survey_triggers` WHERE `reason` = 'not_before' AND `contact_id` IS NOT NULL);
