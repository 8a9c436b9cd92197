import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";

/** Reads one reply. */
export async function findReply(db: Database, id: number): Promise<Reply | undefined> {
  const [row] = await db.select().from(replies).where(eq(replies.id, id));
  return row;
}
