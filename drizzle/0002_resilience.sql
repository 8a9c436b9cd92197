CREATE TABLE "breaker_states" (
	"name" text PRIMARY KEY NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" serial PRIMARY KEY NOT NULL,
	"reply_id" integer NOT NULL,
	"account_id" integer NOT NULL,
	"error" text NOT NULL,
	"error_type" text NOT NULL,
	"retryable" boolean NOT NULL,
	"status" text NOT NULL,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"next_retry_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_reply_id_replies_id_fk" FOREIGN KEY ("reply_id") REFERENCES "public"."replies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dead_letters_due_idx" ON "dead_letters" USING btree ("status","next_retry_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_open_reply_key" ON "dead_letters" USING btree ("reply_id") WHERE "dead_letters"."status" in ('pending', 'retrying');