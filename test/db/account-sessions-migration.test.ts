/** Migration 0007 turns each account's old session_state into the status of a stored session. */
import { readdirSync, readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";

const DRIZZLE = new URL("../../drizzle/", import.meta.url);

/** Runs the committed migration files whose names pass `filter`, in order. */
async function migrate(client: PGlite, filter: (name: string) => boolean): Promise<void> {
  for (const name of readdirSync(DRIZZLE).filter((file) => file.endsWith(".sql")).sort().filter(filter)) {
    for (const statement of readFileSync(new URL(name, DRIZZLE), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim() !== "") await client.exec(statement);
    }
  }
}

describe("migration 0007_account_sessions", () => {
  let client: PGlite | undefined;
  afterEach(async () => {
    await client?.close();
  });

  it("maps ok → active and needs_attention → failed (with a reason), and drops session_state", async () => {
    client = await PGlite.create();
    await migrate(client, (name) => name < "0007");
    await client.exec(`insert into x_accounts (label, session_state) values ('main', 'ok'), ('second', 'needs_attention')`);
    await migrate(client, (name) => name.startsWith("0007"));
    const { rows } = await client.query<{ label: string; status: string; origin: string; failure_reason: string | null; failed_at: Date | null }>(
      "select label, status, origin, failure_reason, failed_at from x_accounts order by label",
    );
    expect(rows).toEqual([
      { label: "main", status: "active", origin: "env", failure_reason: null, failed_at: null },
      { label: "second", status: "failed", origin: "env", failure_reason: "X rejected the credentials (401)", failed_at: expect.any(Date) },
    ]);
    const columns = await client.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_name = 'x_accounts' and column_name = 'session_state'",
    );
    expect(columns.rows).toEqual([]);
  });
});
