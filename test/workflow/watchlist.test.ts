import { beforeAll, describe, expect, it } from "vitest";
import { optOuts, watchItems } from "../../src/db/schema.js";
import { normaliseWatchValue, topicMatcher, Watchlist } from "../../src/workflow/watchlist.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";

const ADMIN_ID = 1001;

describe.each(databaseTargets())("watchlist on $name", (target) => {
  const db = useTestDatabase(target, async (db) => {
    await db.delete(watchItems);
    await db.delete(optOuts);
  });
  let watchlist: Watchlist;

  beforeAll(() => {
    watchlist = new Watchlist(db());
  });

  const values = async (kind: "target" | "search" | "topic"): Promise<string[]> =>
    (await watchlist.list(kind)).map((item) => item.value);

  it("adds a target without its @, keeps its case, and refuses a case-insensitive duplicate", async () => {
    expect(await watchlist.add("target", "@JackDorsey", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await watchlist.add("target", "jackdorsey", ADMIN_ID)).toEqual({ ok: true, added: false });
    expect(await watchlist.add("target", " @JACKDORSEY ", ADMIN_ID)).toEqual({ ok: true, added: false });
    const items = await watchlist.list("target");
    expect(items).toEqual([
      { id: expect.any(Number), kind: "target", value: "JackDorsey", createdBy: ADMIN_ID, createdAt: expect.any(Date) },
    ]);
  });

  it("rejects invalid usernames and stores nothing", async () => {
    for (const bad of ["", "@", "a".repeat(16), "jack dorsey", "jack-dorsey", "@@jack", "jäck"]) {
      const result = await watchlist.add("target", bad, ADMIN_ID);
      expect(result.ok, bad).toBe(false);
    }
    expect(await watchlist.add("target", "a".repeat(15), null)).toEqual({ ok: true, added: true });
    expect(await watchlist.add("target", "_x_1", null)).toEqual({ ok: true, added: true });
    expect(await values("target")).toEqual(["a".repeat(15), "_x_1"]);
  });

  it("trims searches, limits them to 512 characters, and compares them case-insensitively", async () => {
    expect(await watchlist.add("search", "  from:nasa   moon  ", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await watchlist.add("search", "FROM:NASA moon", ADMIN_ID)).toEqual({ ok: true, added: false });
    expect((await watchlist.add("search", "   ", ADMIN_ID)).ok).toBe(false);
    expect((await watchlist.add("search", "x".repeat(513), ADMIN_ID)).ok).toBe(false);
    expect(await watchlist.add("search", "x".repeat(512), ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await values("search")).toEqual(["from:nasa moon", "x".repeat(512)]);
  });

  it("lower-cases topics and limits them to 100 characters", async () => {
    expect(await watchlist.add("topic", "  Machine   Learning ", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await watchlist.add("topic", "machine learning", ADMIN_ID)).toEqual({ ok: true, added: false });
    expect(await watchlist.add("topic", "C++", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect((await watchlist.add("topic", "t".repeat(101), ADMIN_ID)).ok).toBe(false);
    expect((await watchlist.add("topic", "++", ADMIN_ID)).ok).toBe(false);
    expect(await values("topic")).toEqual(["machine learning", "c++"]);
  });

  it("keeps the kinds apart", async () => {
    await watchlist.add("target", "rust", ADMIN_ID);
    expect(await watchlist.add("topic", "rust", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await watchlist.add("search", "rust", ADMIN_ID)).toEqual({ ok: true, added: true });
    expect(await watchlist.remove("topic", "RUST")).toBe(true);
    expect(await values("target")).toEqual(["rust"]);
    expect(await values("search")).toEqual(["rust"]);
    expect(await values("topic")).toEqual([]);
  });

  it("removes case-insensitively and says whether something was removed", async () => {
    await watchlist.add("target", "JackDorsey", ADMIN_ID);
    await watchlist.add("search", "From:NASA", ADMIN_ID);
    expect(await watchlist.remove("target", "@jackdorsey")).toBe(true);
    expect(await watchlist.remove("target", "@jackdorsey")).toBe(false);
    expect(await watchlist.remove("target", "not valid!")).toBe(false);
    expect(await watchlist.remove("search", " from:nasa ")).toBe(true);
    expect(await values("target")).toEqual([]);
    expect(await values("search")).toEqual([]);
  });

  it("stores opt-outs lower-case without @ and finds them in any spelling", async () => {
    expect(await watchlist.optOut("@Elon_Musk", ADMIN_ID)).toEqual({ ok: true, added: true, cancelled: 0 });
    expect(await watchlist.optOut("elon_musk", ADMIN_ID)).toEqual({ ok: true, added: false, cancelled: 0 });
    expect(await watchlist.optOut("@Alice", null)).toEqual({ ok: true, added: true, cancelled: 0 });
    expect((await watchlist.optOut("not a name", ADMIN_ID)).ok).toBe(false);
    expect(await watchlist.listOptOuts()).toEqual(["alice", "elon_musk"]);
    expect(await watchlist.isOptedOut("ELON_MUSK")).toBe(true);
    expect(await watchlist.isOptedOut("@elon_musk")).toBe(true);
    expect(await watchlist.isOptedOut("bob")).toBe(false);
    expect(await watchlist.isOptedOut("not a name")).toBe(false);
    expect(await watchlist.optIn("@ELON_musk")).toBe(true);
    expect(await watchlist.optIn("elon_musk")).toBe(false);
    expect(await watchlist.isOptedOut("elon_musk")).toBe(false);
    expect(await watchlist.listOptOuts()).toEqual(["alice"]);
  });
});

describe("watch value normalisation", () => {
  it("treats a precomposed and a combining-accent topic as the same", () => {
    expect(normaliseWatchValue("topic", "Cafe\u0301")).toEqual({ ok: true, value: "café" });
  });

  it("counts characters, not UTF-16 units", () => {
    expect(normaliseWatchValue("topic", "🚀".repeat(100)).ok).toBe(false); // no letter or digit
    expect(normaliseWatchValue("topic", `a${"🚀".repeat(99)}`)).toEqual({ ok: true, value: `a${"🚀".repeat(99)}` });
  });
});

describe("topic matcher", () => {
  it("lets everything through when no topics are configured", () => {
    const matches = topicMatcher([]);
    expect(matches("anything at all")).toBe(true);
    expect(matches("")).toBe(true);
  });

  it("matches whole words only, case-insensitively", () => {
    const matches = topicMatcher(["rust"]);
    expect(matches("I love Rust!")).toBe(true);
    expect(matches("RUST is great")).toBe(true);
    expect(matches("#rust")).toBe(true);
    expect(matches("rust's borrow checker")).toBe(true);
    expect(matches("trusty old car")).toBe(false);
    expect(matches("rusted")).toBe(false);
    expect(matches("#rust_lang")).toBe(false);
  });

  it("matches topics with regex-special characters", () => {
    const matches = topicMatcher(["c++", "node.js", "(beta)"]);
    expect(matches("Writing C++ today")).toBe(true);
    expect(matches("c++, again")).toBe(true);
    expect(matches("abc++")).toBe(false);
    expect(matches("c")).toBe(false);
    expect(matches("I use Node.js")).toBe(true);
    expect(matches("nodexjs")).toBe(false);
    expect(matches("now in (beta)")).toBe(true);
  });

  it("treats accented letters as letters", () => {
    const matches = topicMatcher(["café"]);
    expect(matches("Meet me at the CAFÉ.")).toBe(true);
    expect(matches("the cafe\u0301 downstairs")).toBe(true);
    expect(matches("cafés")).toBe(false);
    expect(matches("lecafé")).toBe(false);
    expect(topicMatcher(["ü"])("süß")).toBe(false);
  });

  it("matches a phrase as a whole phrase, across any whitespace", () => {
    const matches = topicMatcher(["machine learning"]);
    expect(matches("Machine  Learning\nrocks")).toBe(true);
    expect(matches("machine-learning")).toBe(false);
    expect(matches("machine learnings")).toBe(false);
    expect(matches("learning machine")).toBe(false);
    expect(matches("machine")).toBe(false);
  });

  it("matches when any of several topics matches", () => {
    const matches = topicMatcher(["rust", "go"]);
    expect(matches("let's go")).toBe(true);
    expect(matches("rust")).toBe(true);
    expect(matches("google")).toBe(false);
  });
});
