CREATE TABLE "alert_deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"alert_id" integer NOT NULL,
	"channel" text NOT NULL,
	"kind" text NOT NULL,
	"ok" boolean NOT NULL,
	"latency_ms" integer NOT NULL,
	"error" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"level" text NOT NULL,
	"dedup_key" text DEFAULT '' NOT NULL,
	"message" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"forced_channels" jsonb,
	"merged_into" integer,
	"repeat_count" integer DEFAULT 0 NOT NULL,
	"repeat_shown" integer DEFAULT 0 NOT NULL,
	"last_repeat_at" timestamp with time zone,
	"delivered_channel" text,
	"delivered_at" timestamp with time zone,
	"telegram_message_id" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "alert_deliveries_channel_idx" ON "alert_deliveries" USING btree ("channel","id");--> statement-breakpoint
CREATE INDEX "alerts_open_idx" ON "alerts" USING btree ("id") WHERE "alerts"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "alerts_dedup_idx" ON "alerts" USING btree ("type","dedup_key","occurred_at");--> statement-breakpoint
CREATE INDEX "alerts_status_idx" ON "alerts" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "alerts_unshown_repeats_idx" ON "alerts" USING btree ("id") WHERE "alerts"."status" = 'delivered' and "alerts"."repeat_count" > "alerts"."repeat_shown";