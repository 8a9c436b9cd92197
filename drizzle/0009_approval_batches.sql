CREATE TABLE "approval_batch_items" (
	"batch_id" integer NOT NULL,
	"reply_id" integer NOT NULL,
	"version" integer NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	CONSTRAINT "approval_batch_items_batch_id_reply_id_pk" PRIMARY KEY("batch_id","reply_id")
);
--> statement-breakpoint
CREATE TABLE "approval_batches" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"created_by" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"chat_id" bigint,
	"message_id" integer,
	"progress_edited_at" timestamp with time zone,
	"summary" jsonb
);
--> statement-breakpoint
ALTER TABLE "approval_batch_items" ADD CONSTRAINT "approval_batch_items_batch_id_approval_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."approval_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_batch_items_reply_idx" ON "approval_batch_items" USING btree ("reply_id");--> statement-breakpoint
CREATE INDEX "approval_batches_status_idx" ON "approval_batches" USING btree ("status","id");