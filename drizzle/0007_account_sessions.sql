ALTER TABLE "x_accounts" ADD COLUMN "status" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "origin" text DEFAULT 'env' NOT NULL;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "auth_kind" text DEFAULT 'oauth1' NOT NULL;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "credentials" text;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "last_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "max_posts_per_hour" integer;--> statement-breakpoint
ALTER TABLE "x_accounts" ADD COLUMN "max_posts_per_day" integer;--> statement-breakpoint
UPDATE "x_accounts" SET "status" = CASE WHEN "session_state" = 'ok' THEN 'active' ELSE 'failed' END, "failure_reason" = CASE WHEN "session_state" = 'ok' THEN NULL ELSE 'X rejected the credentials (401)' END, "failed_at" = CASE WHEN "session_state" = 'ok' THEN NULL ELSE now() END;--> statement-breakpoint
ALTER TABLE "x_accounts" DROP COLUMN "session_state";