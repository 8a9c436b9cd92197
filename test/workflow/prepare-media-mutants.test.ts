/**
 * Preparing a claimed reply's attachment, the paths prepare-media.test.ts leaves to the publisher tests, checked on
 * the preparer itself: a text reply, the upload's id kept against the attempt under an extended lease, a chat that
 * can never give the file, bytes over X's limit, an upload X refuses, a claim lost during the upload, and the
 * quarter of an hour a stored media id must have left to be reused.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { MediaUnavailableError, type MediaSource } from "../../src/workflow/media/types.js";
import { createMediaPrep } from "../../src/workflow/publish/prepare-media.js";
import type { Claim } from "../../src/workflow/replies/claim-replies.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { claimOne, createPublishFixture, type PublisherRig } from "../support/publish-fixture.js";

const OUR_TOKEN = "prepare-media-mutants-token";
const MB = 1024 * 1024;
const MINUTE = 60_000;

describe.each(databaseTargets())("preparing an attachment, paths of the preparer itself ($name)", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let alice: FakeXUser;
  let clock: Date;
  let downloads: string[];

  const fixture = createPublishFixture({ db, x, now: () => clock, token: OUR_TOKEN });
  /** A chat that answers every download with `answer` (bytes, or a rejection). */
  const chat = (answer: () => Promise<Uint8Array>): MediaSource => ({
    download(fileId) {
      downloads.push(fileId);
      return answer();
    },
  });
  const bytes = (length: number) => () => Promise.resolve(new Uint8Array(length));

  beforeEach(() => {
    x().addUser({ id: "750001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x().addUser({ id: "750002", username: "alice" });
    clock = new Date();
    downloads = [];
  });

  /** A claimed reply, with an image attached unless `textOnly`. */
  async function claimReply(h: PublisherRig, opts: { textOnly?: boolean } = {}): Promise<Claim> {
    const { reply } = await fixture.seedReply(h.account.id, alice);
    if (!opts.textOnly) {
      await db()
        .update(replies)
        .set({ mediaFileId: `file-${reply.id}`, mediaKind: "image", mediaMimeType: "image/png", mediaBytes: 1_000 })
        .where(eq(replies.id, reply.id));
    }
    const claim = await claimOne(db(), { accountId: h.account.id, now: clock, leaseSeconds: 120 });
    if (!claim) throw new Error("nothing claimed");
    return claim;
  }

  it("a text reply is ready with no media id: nothing is downloaded, uploaded or written", async () => {
    const h = await fixture.build();
    const claim = await claimReply(h, { textOnly: true });
    const before = await findReply(db(), claim.reply.id);
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(bytes(1_000)), now: () => clock });
    expect(await prepare(h.account, claim)).toEqual({ kind: "ready", mediaIds: undefined });
    expect(downloads).toEqual([]);
    expect(x().mediaUploads()).toEqual([]);
    expect(await findReply(db(), claim.reply.id)).toEqual(before);
  });

  it("uploads the downloaded file as the claiming account, keeps X's id against the attempt, under a lease extended first", async () => {
    const h = await fixture.build();
    const claim = await claimReply(h);
    let leaseDuringDownload: Date | null = null;
    const prepare = createMediaPrep({
      db: db(),
      mediaSource: chat(async () => {
        leaseDuringDownload = (await findReply(db(), claim.reply.id))?.leaseUntil ?? null;
        return new Uint8Array(1_000);
      }),
      now: () => clock,
    });
    const prep = await prepare(h.account, claim);
    const [upload] = x().mediaUploads();
    expect(prep).toEqual({ kind: "ready", mediaIds: [upload!.mediaId] });
    expect(upload).toMatchObject({ ownerId: "750001" });
    expect(downloads).toEqual([`file-${claim.reply.id}`]);
    // A quarter of an hour: room for a long video's download and upload.
    expect(leaseDuringDownload).toEqual(new Date(clock.getTime() + 15 * MINUTE));
    const row = await findReply(db(), claim.reply.id);
    expect(row).toMatchObject({ mediaXId: upload!.mediaId, mediaXAccountId: h.account.id });
    expect(row?.mediaXExpiresAt).toBeInstanceOf(Date);
  });

  it("a file the chat can never give fails for good; one it fails to give now is a transient failure; each quotes the chat", async () => {
    const h = await fixture.build();
    const gone = createMediaPrep({ db: db(), mediaSource: chat(() => Promise.reject(new MediaUnavailableError("file is gone"))), now: () => clock });
    expect(await gone(h.account, await claimReply(h))).toEqual({
      kind: "failed",
      failure: {
        kind: "permanent",
        reason: "media_unavailable",
        message: "it cannot be downloaded from Telegram: file is gone",
        mayHaveSucceeded: false,
        aborted: false,
        retryAt: undefined,
      },
    });
    const flaky = createMediaPrep({ db: db(), mediaSource: chat(() => Promise.reject(new Error("ETIMEDOUT"))), now: () => clock });
    expect(await flaky(h.account, await claimReply(h))).toEqual({
      kind: "failed",
      failure: {
        kind: "transient",
        reason: "media_download",
        message: "the download from Telegram failed: ETIMEDOUT",
        mayHaveSucceeded: false,
        aborted: false,
        retryAt: undefined,
      },
    });
    expect(x().mediaUploads()).toEqual([]);
  });

  it("bytes over X's limit for the kind fail for good before any upload", async () => {
    const h = await fixture.build();
    const claim = await claimReply(h);
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(bytes(6 * MB)), now: () => clock });
    expect(await prepare(h.account, claim)).toEqual({
      kind: "failed",
      failure: {
        kind: "permanent",
        reason: "media_too_large",
        message: "the attachment is 6 MB, over X's 5 MB for its kind",
        mayHaveSucceeded: false,
        aborted: false,
        retryAt: undefined,
      },
    });
    expect(x().mediaUploads()).toEqual([]);
    expect((await findReply(db(), claim.reply.id))?.mediaXId).toBeNull();
  });

  it("an upload X answers 503 to is a transient failure, and no media id is kept", async () => {
    const h = await fixture.build();
    const claim = await claimReply(h);
    x().enqueueFault({ method: "POST", path: "/2/media/upload/initialize" }, { kind: "status", status: 503 }, 1);
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(bytes(1_000)), now: () => clock });
    expect(await prepare(h.account, claim)).toMatchObject({ kind: "failed", failure: { kind: "transient" } });
    expect((await findReply(db(), claim.reply.id))?.mediaXId).toBeNull();
  });

  it("a claim lost during the download is lost: the upload's id is not kept", async () => {
    const h = await fixture.build();
    const claim = await claimReply(h);
    const prepare = createMediaPrep({
      db: db(),
      mediaSource: chat(async () => {
        await db().update(replies).set({ status: "approved", attemptId: null }).where(eq(replies.id, claim.reply.id));
        return new Uint8Array(1_000);
      }),
      now: () => clock,
    });
    expect(await prepare(h.account, claim)).toEqual({ kind: "lost" });
    expect((await findReply(db(), claim.reply.id))?.mediaXId).toBeNull();
  });

  it("a stored media id is reused with 16 minutes left; with 14 minutes left (X may forget it before the POST) it is uploaded again", async () => {
    const h = await fixture.build();
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(bytes(1_000)), now: () => clock });
    const withStoredId = async (minutesLeft: number): Promise<Claim> => {
      const claim = await claimReply(h);
      const stored = { mediaXId: `stored-${claim.reply.id}`, mediaXAccountId: h.account.id, mediaXExpiresAt: new Date(clock.getTime() + minutesLeft * MINUTE) };
      await db().update(replies).set(stored).where(eq(replies.id, claim.reply.id));
      return { ...claim, reply: { ...claim.reply, ...stored } };
    };

    const fresh = await withStoredId(16);
    expect(await prepare(h.account, fresh)).toEqual({ kind: "ready", mediaIds: [`stored-${fresh.reply.id}`] });
    expect(downloads).toEqual([]);
    const stale = await withStoredId(14);
    const prep = await prepare(h.account, stale);
    const [upload] = x().mediaUploads();
    expect(prep).toEqual({ kind: "ready", mediaIds: [upload!.mediaId] });
    expect(downloads).toEqual([`file-${stale.reply.id}`]);
  });
});
