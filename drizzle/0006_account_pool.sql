ALTER TABLE "replies" ALTER COLUMN "account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "bound_account_id" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "bound_account_id" integer;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "priority" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_bound_account_id_x_accounts_id_fk" FOREIGN KEY ("bound_account_id") REFERENCES "public"."x_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replies" ADD CONSTRAINT "replies_bound_account_id_x_accounts_id_fk" FOREIGN KEY ("bound_account_id") REFERENCES "public"."x_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "replies_claim_order_idx" ON "replies" USING btree ("status","priority","decided_at","id");--> statement-breakpoint
-- Existing posts that summoned an account (found in its mentions, or naming it in their text) are bound to it.
UPDATE "posts" AS p SET "bound_account_id" = p."account_id"
FROM "x_accounts" AS a
WHERE a."id" = p."account_id"
  AND (p."source" = 'mention' OR (a."username" IS NOT NULL AND p."text" ~* ('(^|[^a-z0-9_])@' || a."username" || '([^a-z0-9_]|$)')));--> statement-breakpoint
UPDATE "replies" AS r SET
  "bound_account_id" = p."bound_account_id",
  "priority" = CASE p."source" WHEN 'mention' THEN 0 WHEN 'search' THEN 2 ELSE 1 END
FROM "posts" AS p
WHERE p."tweet_id" = r."post_tweet_id";--> statement-breakpoint
-- A free reply no account has tried yet is assigned when it is claimed.
UPDATE "replies" SET "account_id" = NULL
WHERE "bound_account_id" IS NULL AND "attempt_count" = 0 AND "status" IN ('awaiting_approval', 'approved');
