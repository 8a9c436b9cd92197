import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createWatchlistFeature } from "../../src/bot/features/watchlist.js";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { optOuts, watchItems } from "../../src/db/schema.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { ADMIN, ADMIN_CHAT, STRANGER } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type EmulatorChat, type EmulatorUser, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("/targets, /searches, /topics, /optout, /optin", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let watchlist: Watchlist;
  let bot: FeatureBot;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    watchlist = new Watchlist(database.handle.db);
    bot = startFeatureBot(tg, database.handle, [createWatchlistFeature({ watchlist })]);
  });
  afterEach(async () => {
    tg.reset();
    await database.handle.db.delete(watchItems);
    await database.handle.db.delete(optOuts);
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });

  /** Sends `text` and resolves with the bot's next message in that chat. */
  async function send(text: string, from: EmulatorUser = ADMIN, chat?: EmulatorChat): Promise<string> {
    const chatId = chat?.id ?? from.id;
    const before = tg.botMessages(chatId).length;
    await tg.sendText({ from, text, ...(chat ? { chat } : {}) });
    await tg.waitForBotMessage((m) => m.chatId === chatId && tg.botMessages(chatId).length > before);
    return tg.botMessages(chatId)[before]!.text;
  }

  const everything = async () => ({
    targets: await watchlist.list("target"),
    searches: await watchlist.list("search"),
    topics: await watchlist.list("topic"),
    optOuts: await watchlist.listOptOuts(),
  });

  it("adds, lists and removes targets", async () => {
    expect(await send("/targets list")).toBe("No targets yet. Add one with /targets add @username");
    expect(await send("/targets add @JackDorsey")).toBe("Added target @JackDorsey.");
    expect(await send("/targets add jackdorsey")).toBe("Target @jackdorsey was already on the list.");
    expect(await send("/targets add nasa")).toBe("Added target @nasa.");
    expect(await send("/targets list")).toBe("<b>Targets</b> (2)\n1. @JackDorsey\n2. @nasa");
    expect(await send("/targets remove @JACKDORSEY")).toBe("Removed target @JACKDORSEY.");
    expect(await send("/targets remove @jackdorsey")).toBe("Target @jackdorsey is not on the list.");
    expect((await watchlist.list("target")).map((item) => item.value)).toEqual(["nasa"]);
    expect((await watchlist.list("target"))[0]?.createdBy).toBe(ADMIN.id);
  });

  it("works in the admin group, with the bot's name after the command", async () => {
    expect(await send(`/targets@${tg.botInfo.username} add @nasa`, ADMIN, ADMIN_CHAT)).toBe("Added target @nasa.");
  });

  it("adds searches with their full text and removes them by text or by list number", async () => {
    expect(await send("/searches add from:nasa  moon landing")).toBe("Added search <code>from:nasa moon landing</code>.");
    expect(await send("/searches add <b>rust</b> & go")).toBe("Added search <code>&lt;b&gt;rust&lt;/b&gt; &amp; go</code>.");
    expect(await send("/searches add \"bun runtime\" lang:en")).toBe('Added search <code>"bun runtime" lang:en</code>.');
    const list = tg.botMessages(ADMIN.id).length;
    await send("/searches list");
    const listing = tg.botMessages(ADMIN.id)[list]!;
    expect(listing.text).toBe(
      '<b>Searches</b> (3)\n1. <code>from:nasa moon landing</code>\n2. <code>&lt;b&gt;rust&lt;/b&gt; &amp; go</code>\n3. <code>"bun runtime" lang:en</code>',
    );
    expect(listing.parseMode).toBe("HTML");
    expect(await send("/searches remove 2")).toBe("Removed search <code>&lt;b&gt;rust&lt;/b&gt; &amp; go</code>.");
    expect(await send("/searches remove FROM:NASA moon landing")).toBe("Removed search <code>FROM:NASA moon landing</code>.");
    expect(await send("/searches remove 5")).toBe("There is no search number 5. Send /searches list.");
    expect(await send(`/searches remove ${"9".repeat(4_070)}`)).toBe(`There is no search number ${"9".repeat(99)}…. Send /searches list.`);
    expect((await watchlist.list("search")).map((item) => item.value)).toEqual(['"bun runtime" lang:en']);
  });

  it("adds topics lower-cased, phrases included", async () => {
    expect(await send("/topics add Machine Learning")).toBe("Added topic “machine learning”.");
    expect(await send("/topics add C++")).toBe("Added topic “c++”.");
    expect(await send("/topics list")).toBe("<b>Topics</b> (2)\n1. “machine learning”\n2. “c++”");
    expect(await send("/topics remove MACHINE LEARNING")).toBe("Removed topic “machine learning”.");
    expect((await watchlist.list("topic")).map((item) => item.value)).toEqual(["c++"]);
  });

  it("opts users out and back in, normalised", async () => {
    expect(await send("/optout @Elon_Musk")).toBe("@elon_musk opted out: no reply will be drafted or posted to their posts.");
    expect(await send("/optout elon_musk")).toBe("@elon_musk had already opted out.");
    expect(await watchlist.listOptOuts()).toEqual(["elon_musk"]);
    expect(await send("/optin @ELON_MUSK")).toBe("@elon_musk opted back in.");
    expect(await send("/optin @elon_musk")).toBe("@elon_musk had not opted out.");
    expect(await watchlist.listOptOuts()).toEqual([]);
  });

  it("answers any bad or missing argument with one usage line and changes nothing", async () => {
    await watchlist.add("target", "nasa", ADMIN.id);
    await watchlist.add("search", "from:nasa", ADMIN.id);
    await watchlist.add("topic", "rust", ADMIN.id);
    await watchlist.optOut("alice", ADMIN.id);
    const before = await everything();

    const cases: [string, string][] = [
      ["/targets", "Usage: /targets add|remove|list @username"],
      ["/targets add", "Usage: /targets add|remove|list @username"],
      ["/targets remove", "Usage: /targets add|remove|list @username"],
      ["/targets delete @nasa", "Usage: /targets add|remove|list @username"],
      ["/targets list everything", "Usage: /targets add|remove|list @username"],
      ["/targets add @this_name_is_far_too_long", "Usage: /targets add|remove|list @username"],
      ["/targets add two words", "Usage: /targets add|remove|list @username"],
      ["/targets remove not-a-name", "Usage: /targets add|remove|list @username"],
      ["/searches add", "Usage: /searches"],
      [`/searches add ${"x".repeat(513)}`, "Usage: /searches"],
      ["/searches", "Usage: /searches"],
      ["/topics add", "Usage: /topics"],
      ["/topics add ++", "Usage: /topics"],
      [`/topics add ${"t".repeat(101)}`, "Usage: /topics"],
      ["/topics drop rust", "Usage: /topics"],
      ["/optout", "Usage: /optout @username"],
      ["/optout two words", "Usage: /optout @username"],
      ["/optin", "Usage: /optin @username"],
      ["/optin @", "Usage: /optin @username"],
    ];
    for (const [command, usage] of cases) {
      const reply = await send(command);
      expect(reply, command).toMatch(new RegExp(`^${usage.replace(/[|/]/g, "\\$&")}`));
      expect(reply, command).not.toContain("\n");
    }
    expect(await everything()).toEqual(before);
  });

  it("ignores a stranger's /targets add", async () => {
    expect(await send("/targets add @nasa", STRANGER)).toBe(REFUSAL_TEXT);
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/targets add @jack" });
    await send("/targets list");
    expect(tg.botMessages(ADMIN_CHAT.id)).toHaveLength(0);
    expect(await watchlist.list("target")).toEqual([]);
  });
});
