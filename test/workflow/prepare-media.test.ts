/**
 * Preparing a claimed reply's attachment on its own (publish-media.test.ts runs it through the publisher): when a
 * stored media id is reused, and what comes back without a media source, for odd download errors and for a claim
 * lost before the lease could be extended.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { replies, xAccounts } from "../../src/db/schema.js";
import type { MediaSource } from "../../src/workflow/media/types.js";
import { createMediaPrep, MEDIA_REUSE_MARGIN_MS } from "../../src/workflow/publish/prepare-media.js";
import type { Claim } from "../../src/workflow/replies/claim-replies.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { claimOne, createPublishFixture, type PublisherRig } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const OUR_TOKEN = "prepare-media-token";
const MINUTE = 60_000;

describe.each(databaseTargets())("preparing a claimed reply's attachment on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;
  let alice: FakeXUser;
  let clock: Date;
  let downloads: string[];

  const fixture = createPublishFixture({ db, x: () => x, now: () => clock, token: OUR_TOKEN });
  /** A chat whose every download fails with `thrown`, or gives 1,000 bytes. */
  const chat = (thrown?: unknown): MediaSource => ({
    download(fileId) {
      downloads.push(fileId);
      if (thrown === undefined) return Promise.resolve(new Uint8Array(1_000));
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a source that rejects with a bare string
      return Promise.reject(thrown);
    },
  });

  beforeAll(async () => {
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
  });
  beforeEach(() => {
    x.reset();
    x.addUser({ id: "740001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x.addUser({ id: "740002", username: "alice" });
    clock = new Date();
    downloads = [];
  });

  /** A claimed reply with an image attached, uploaded earlier by `upload.accountId` (if given) until `upload.expiresAt`. */
  async function claimWithImage(h: PublisherRig, upload?: { accountId: number; expiresAt: Date | null }): Promise<Claim> {
    const { reply } = await fixture.seedReply(h.account.id, alice);
    await db()
      .update(replies)
      .set({
        mediaFileId: `file-${reply.id}`,
        mediaKind: "image",
        mediaMimeType: "image/png",
        mediaBytes: 1_000,
        ...(upload ? { mediaXId: "stored-media", mediaXAccountId: upload.accountId, mediaXExpiresAt: upload.expiresAt } : {}),
      })
      .where(eq(replies.id, reply.id));
    const claim = await claimOne(db(), { accountId: h.account.id, now: clock, leaseSeconds: 120 });
    if (!claim) throw new Error("nothing claimed");
    return claim;
  }

  it("reuses the stored id of this account with more than the margin left, downloading nothing", async () => {
    const h = await fixture.build();
    const claim = await claimWithImage(h, { accountId: h.account.id, expiresAt: new Date(clock.getTime() + MEDIA_REUSE_MARGIN_MS + 1) });
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(), now: () => clock });
    expect(await prepare(h.account, claim)).toEqual({ kind: "ready", mediaIds: ["stored-media"] });
    expect(downloads).toEqual([]);
  });

  it("uploads again when exactly the margin is left, when the expiry is unknown, or when another account uploaded it", async () => {
    const h = await fixture.build();
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(), now: () => clock });
    const [other] = await db().insert(xAccounts).values({ label: "other" }).returning();
    const uploads = [
      { accountId: h.account.id, expiresAt: new Date(clock.getTime() + MEDIA_REUSE_MARGIN_MS) },
      { accountId: h.account.id, expiresAt: null },
      { accountId: other!.id, expiresAt: new Date(clock.getTime() + 60 * MINUTE) },
    ];
    for (const upload of uploads) {
      const claim = await claimWithImage(h, upload);
      const prep = await prepare(h.account, claim);
      expect(prep).toMatchObject({ kind: "ready" });
      expect(prep.kind === "ready" && prep.mediaIds?.[0]).not.toBe("stored-media");
      expect(downloads.at(-1)).toBe(`file-${claim.reply.id}`);
    }
    expect(x.mediaUploads()).toHaveLength(3);
  });

  it("without a media source the reply fails for good, and nothing is downloaded", async () => {
    const h = await fixture.build();
    const claim = await claimWithImage(h);
    const prepare = createMediaPrep({ db: db(), mediaSource: undefined, now: () => clock });
    expect(await prepare(h.account, claim)).toEqual({
      kind: "failed",
      failure: {
        kind: "permanent",
        reason: "media_unavailable",
        message: "the reply has an attachment, but no media source is configured",
        mayHaveSucceeded: false,
        aborted: false,
        retryAt: undefined,
      },
    });
  });

  it("a download that throws something other than an Error is a transient failure quoting it", async () => {
    const h = await fixture.build();
    const claim = await claimWithImage(h);
    const prepare = createMediaPrep({ db: db(), mediaSource: chat("socket hang up"), now: () => clock });
    expect(await prepare(h.account, claim)).toMatchObject({
      kind: "failed",
      failure: { kind: "transient", reason: "media_download", message: "the download from Telegram failed: socket hang up" },
    });
  });

  it("a claim lost before the lease is extended downloads nothing", async () => {
    const h = await fixture.build();
    const claim = await claimWithImage(h);
    await db().update(replies).set({ status: "approved", attemptId: null }).where(eq(replies.id, claim.reply.id));
    const prepare = createMediaPrep({ db: db(), mediaSource: chat(), now: () => clock });
    expect(await prepare(h.account, claim)).toEqual({ kind: "lost" });
    expect(downloads).toEqual([]);
  });
});
