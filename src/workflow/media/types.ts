import type { ReplyMediaKind } from "../../db/schema.js";

/** An attachment the admin sent, as the chat described it, before it is checked against X's limits. */
export interface MediaCandidate {
  /** The chat's id of the file (Telegram's `file_id`), used to download it when it is published. */
  readonly fileId: string;
  /** What the chat says it is ("image/jpeg", "video/mp4", …); undefined when it did not say. */
  readonly mimeType: string | undefined;
  /** Size in bytes as the chat reported it; undefined when unknown (checked on the bytes at publish time). */
  readonly bytes: number | undefined;
  /** Length of a video or animation in seconds; undefined for images or when unknown. */
  readonly durationSeconds: number | undefined;
}

/** An attachment that passed the checks, as stored on the reply. */
export interface ReplyMedia {
  readonly fileId: string;
  readonly kind: ReplyMediaKind;
  readonly mimeType: string;
  readonly bytes: number | undefined;
  readonly durationSeconds: number | undefined;
}

/**
 * Where attachments are downloaded from at publish time (the Telegram side implements it). Throws a
 * {@link MediaUnavailableError} when the file can never be had (too big for the chat's download limit, gone).
 */
export interface MediaSource {
  download(fileId: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** The attachment cannot be downloaded, now or ever (too big for the download limit, deleted): retrying will not help. */
export class MediaUnavailableError extends Error {
  override readonly name = "MediaUnavailableError";
}
