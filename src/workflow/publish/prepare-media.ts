import type { Database } from "../../db/database.js";
import { classifyFailure, type Failure } from "../../resilience/failure.js";
import type { XAccount } from "../accounts.js";
import { MediaUnavailableError, type MediaSource } from "../media/types.js";
import { checkDownloadedSize, replyMediaOf, X_CATEGORY } from "../media/validate.js";
import type { Claim } from "../replies/claim-replies.js";
import { extendLease, recordMediaUpload } from "../replies/media-upload.js";

/**
 * A media id is reused only while it has this long left: X forgets uploads after about a day, and a post made
 * with a forgotten id is refused for good.
 */
export const MEDIA_REUSE_MARGIN_MS = 15 * 60_000;
/** The lease a claim gets before a download and upload, which can take minutes for a long video. */
export const MEDIA_LEASE_MS = 15 * 60_000;

/** What preparing the attachment needs. */
export interface MediaPrepDeps {
  readonly db: Database;
  /** Where attachments are downloaded from; without one, a reply with media cannot be published. */
  readonly mediaSource: MediaSource | undefined;
  readonly now: () => Date;
}

/** The attachment's media id for the POST, none (text only), the failure, or the claim was lost meanwhile. */
export type MediaPrep =
  | { readonly kind: "ready"; readonly mediaIds: readonly string[] | undefined }
  | { readonly kind: "failed"; readonly failure: Failure }
  | { readonly kind: "lost" };

const failed = (kind: Failure["kind"], reason: string, message: string): MediaPrep => ({
  kind: "failed",
  failure: { kind, reason, message, mayHaveSucceeded: false, aborted: false, retryAt: undefined },
});

/**
 * The attachment of a claimed reply as a media id of the claiming account: the stored one when this account
 * uploaded it and it has {@link MEDIA_REUSE_MARGIN_MS} left; otherwise the lease is extended, the file is
 * downloaded from the chat, checked again on its bytes, uploaded (each step under the account's policy) and its
 * id stored against this attempt, so a retry or a dead-letter retry posts with it instead of uploading again.
 * Database errors are thrown: nothing was posted, and the caller hands the claim back.
 */
export function createMediaPrep(deps: MediaPrepDeps) {
  const { db, now } = deps;

  async function download(claim: Claim): Promise<Uint8Array | MediaPrep> {
    if (!deps.mediaSource) return failed("permanent", "media_unavailable", "the reply has an attachment, but no media source is configured");
    try {
      return await deps.mediaSource.download(claim.reply.mediaFileId ?? "");
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return error instanceof MediaUnavailableError
        ? failed("permanent", "media_unavailable", `it cannot be downloaded from Telegram: ${message}`)
        : failed("transient", "media_download", `the download from Telegram failed: ${message}`);
    }
  }

  return async function prepareMedia(account: XAccount, claim: Claim): Promise<MediaPrep> {
    const { reply } = claim;
    const media = replyMediaOf(reply);
    if (!media) return { kind: "ready", mediaIds: undefined };
    const valid = reply.mediaXExpiresAt !== null && reply.mediaXExpiresAt.getTime() - now().getTime() > MEDIA_REUSE_MARGIN_MS;
    if (reply.mediaXId !== null && reply.mediaXAccountId === account.id && valid) {
      return { kind: "ready", mediaIds: [reply.mediaXId] };
    }
    if (!(await extendLease(db, claim, new Date(now().getTime() + MEDIA_LEASE_MS)))) return { kind: "lost" };
    const bytes = await download(claim);
    if (!(bytes instanceof Uint8Array)) return bytes;
    const tooBig = checkDownloadedSize(media, bytes.byteLength);
    if (tooBig) return failed("permanent", "media_too_large", tooBig);
    let uploaded: { mediaId: string; expiresAt: Date | undefined };
    try {
      uploaded = await account.client.uploadMedia({ bytes, mimeType: media.mimeType, category: X_CATEGORY[media.kind] });
    } catch (error) {
      return { kind: "failed", failure: classifyFailure(error) };
    }
    if (!(await recordMediaUpload(db, claim, uploaded))) return { kind: "lost" };
    return { kind: "ready", mediaIds: [uploaded.mediaId] };
  };
}

/** Prepares claimed replies' attachments. */
export type MediaPrepare = ReturnType<typeof createMediaPrep>;
