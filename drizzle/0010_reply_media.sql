ALTER TABLE "replies" ADD COLUMN "media_file_id" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_kind" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_mime_type" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_bytes" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_duration_seconds" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_x_id" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_x_account_id" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "media_x_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "replies" ADD CONSTRAINT "replies_media_x_account_id_x_accounts_id_fk" FOREIGN KEY ("media_x_account_id") REFERENCES "public"."x_accounts"("id") ON DELETE no action ON UPDATE no action;