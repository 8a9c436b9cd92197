CREATE TABLE "discovery_cursors" (
	"source_key" text PRIMARY KEY NOT NULL,
	"since_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "opt_outs" (
	"username" text PRIMARY KEY NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "posts" (
	"tweet_id" text PRIMARY KEY NOT NULL,
	"author_id" text NOT NULL,
	"author_username" text,
	"text" text NOT NULL,
	"posted_at" timestamp with time zone,
	"source" text NOT NULL,
	"source_detail" text NOT NULL,
	"account_id" integer NOT NULL,
	"answerable" boolean NOT NULL,
	"state" text NOT NULL,
	"skip_reason" text,
	"gate_checked_at" timestamp with time zone,
	"gate_score" real,
	"gate_reason" text,
	"draft_attempts" integer DEFAULT 0 NOT NULL,
	"next_draft_at" timestamp with time zone,
	"discovered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "publish_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reply_id" integer NOT NULL,
	"account_id" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text,
	"tweet_id" text,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "replies" (
	"id" serial PRIMARY KEY NOT NULL,
	"post_tweet_id" text NOT NULL,
	"account_id" integer NOT NULL,
	"status" text NOT NULL,
	"draft" text NOT NULL,
	"weighted_length" integer NOT NULL,
	"too_long" boolean DEFAULT false NOT NULL,
	"model" text,
	"version" integer DEFAULT 1 NOT NULL,
	"card_message_id" integer,
	"card_version" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_by" bigint,
	"decided_at" timestamp with time zone,
	"scheduled_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"attempt_id" uuid,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"needs_reconcile" boolean DEFAULT false NOT NULL,
	"reply_tweet_id" text,
	"published_at" timestamp with time zone,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings_audit" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"old_value" jsonb,
	"new_value" jsonb NOT NULL,
	"changed_by" bigint NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watch_items" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"reply_id" integer,
	"post_tweet_id" text,
	"actor" bigint,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "x_accounts" (
	"id" serial PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"x_user_id" text,
	"username" text,
	"session_state" text DEFAULT 'ok' NOT NULL,
	"rate_limited_until" timestamp with time zone,
	"next_post_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_account_id_x_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."x_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_attempts" ADD CONSTRAINT "publish_attempts_reply_id_replies_id_fk" FOREIGN KEY ("reply_id") REFERENCES "public"."replies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replies" ADD CONSTRAINT "replies_post_tweet_id_posts_tweet_id_fk" FOREIGN KEY ("post_tweet_id") REFERENCES "public"."posts"("tweet_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replies" ADD CONSTRAINT "replies_account_id_x_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."x_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "posts_state_idx" ON "posts" USING btree ("state","discovered_at");--> statement-breakpoint
CREATE UNIQUE INDEX "replies_post_key" ON "replies" USING btree ("post_tweet_id");--> statement-breakpoint
CREATE INDEX "replies_claim_idx" ON "replies" USING btree ("status","scheduled_at","id");--> statement-breakpoint
CREATE INDEX "replies_card_sync_idx" ON "replies" USING btree ("id") WHERE "replies"."card_version" < "replies"."version";--> statement-breakpoint
CREATE UNIQUE INDEX "watch_items_kind_value_key" ON "watch_items" USING btree ("kind",lower("value"));--> statement-breakpoint
CREATE INDEX "workflow_events_at_idx" ON "workflow_events" USING btree ("at","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "x_accounts_label_key" ON "x_accounts" USING btree ("label");