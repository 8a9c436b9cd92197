CREATE TABLE "x_oauth_requests" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"code_verifier" text NOT NULL,
	"label" text NOT NULL,
	"requested_by" bigint,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "x_oauth_requests_expires_idx" ON "x_oauth_requests" USING btree ("expires_at");