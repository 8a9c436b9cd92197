ALTER TABLE "replies" ADD COLUMN "card_failed_version" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "card_failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "card_failure_reason" text;