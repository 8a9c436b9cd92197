import type { ReplyMediaKind } from "../../db/schema.js";
import type { XMediaCategory } from "../../x/types.js";
import type { MediaCandidate, ReplyMedia } from "./types.js";

const MB = 1024 * 1024;

/** What X takes per kind (self-serve tiers): size, and for video the length. */
export const X_MEDIA_LIMITS = {
  image: { maxBytes: 5 * MB },
  gif: { maxBytes: 15 * MB },
  video: { maxBytes: 512 * MB, maxSeconds: 140, minSeconds: 0.5 },
} as const satisfies Record<ReplyMediaKind, { maxBytes: number; maxSeconds?: number; minSeconds?: number }>;

/** MIME types X accepts, and the kind (so the limits) each one has. */
const KIND_OF_MIME: Readonly<Record<string, ReplyMediaKind>> = {
  "image/jpeg": "image",
  "image/png": "image",
  "image/webp": "image",
  "image/gif": "gif",
  "video/mp4": "video",
  "video/quicktime": "video",
};

/** How a kind and type read on a card and in a refusal: "Video · MP4". */
const FORMAT_NAME: Readonly<Record<string, string>> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/webp": "WEBP",
  "image/gif": "GIF",
  "video/mp4": "MP4",
  "video/quicktime": "MOV",
};

/** X's upload category for a kind. */
export const X_CATEGORY: Readonly<Record<ReplyMediaKind, XMediaCategory>> = {
  image: "tweet_image",
  gif: "tweet_gif",
  video: "tweet_video",
};

/** A size for people: "3.2 MB", "512 MB"; under 0.1 MB in KB ("39 KB"), never "0.0 MB". */
export function formatMegabytes(bytes: number): string {
  if (bytes < MB / 10) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  const mb = bytes / MB;
  return `${mb >= 10 || Number.isInteger(mb) ? Math.round(mb) : mb.toFixed(1)} MB`;
}

/** The format's short name ("MP4"), or the MIME type itself when it has none. */
export function formatName(mimeType: string): string {
  return FORMAT_NAME[mimeType] ?? mimeType;
}

/** The result of a check: the attachment as stored, or a refusal that names the limit. */
export type MediaCheck = { readonly ok: true; readonly media: ReplyMedia } | { readonly ok: false; readonly message: string };

/** The checks' settings: how much the bot may download from the chat (20 MB on Telegram's cloud Bot API). */
export interface MediaLimits {
  readonly downloadLimitBytes: number;
}

/** The largest size allowed for a kind: X's limit, or the chat's download limit when that is lower. */
function sizeRefusal(kind: ReplyMediaKind, mimeType: string, bytes: number, limits: MediaLimits): string | undefined {
  const xLimit = X_MEDIA_LIMITS[kind].maxBytes;
  const what = `This ${formatName(mimeType)} is ${formatMegabytes(bytes)}`;
  if (bytes > xLimit) return `${what}: X takes at most ${formatMegabytes(xLimit)} for ${kind === "image" ? "an image" : `a ${kind === "gif" ? "GIF" : "video"}`}.`;
  if (bytes > limits.downloadLimitBytes) {
    return `${what}: the bot can download at most ${formatMegabytes(limits.downloadLimitBytes)} from Telegram (TELEGRAM_DOWNLOAD_LIMIT_MB; a local Bot API server lifts it).`;
  }
  return undefined;
}

/**
 * Checks an attachment before anything is stored or uploaded: a type X takes (JPEG, PNG, WEBP, GIF, MP4, MOV),
 * within X's size for its kind (image 5 MB, GIF 15 MB, video 512 MB) and the chat's download limit, and a video
 * between 0.5 s and 140 s. A refusal names the limit.
 */
export function validateMedia(candidate: MediaCandidate, limits: MediaLimits): MediaCheck {
  const mimeType = candidate.mimeType?.toLowerCase();
  const kind = mimeType === undefined ? undefined : KIND_OF_MIME[mimeType];
  if (mimeType === undefined || kind === undefined) {
    return {
      ok: false,
      message: `X takes JPEG, PNG, WEBP or GIF images and MP4 or MOV videos; this file is ${mimeType ?? "of an unknown type"}.`,
    };
  }
  if (candidate.bytes !== undefined) {
    const refusal = sizeRefusal(kind, mimeType, candidate.bytes, limits);
    if (refusal) return { ok: false, message: refusal };
  }
  if (kind === "video" && candidate.durationSeconds !== undefined) {
    const { maxSeconds, minSeconds } = X_MEDIA_LIMITS.video;
    if (candidate.durationSeconds > maxSeconds) {
      return { ok: false, message: `This video is ${candidate.durationSeconds} s long: X takes at most ${maxSeconds} s.` };
    }
    if (candidate.durationSeconds < minSeconds) {
      return { ok: false, message: `This video is shorter than ${minSeconds} s: X takes videos of ${minSeconds}–${maxSeconds} s.` };
    }
  }
  return {
    ok: true,
    media: { fileId: candidate.fileId, kind, mimeType, bytes: candidate.bytes, durationSeconds: candidate.durationSeconds },
  };
}

/**
 * The check again on the downloaded bytes (the chat may not have said the size, or said it wrong): undefined
 * when they are within X's limit for the kind, else the refusal.
 */
export function checkDownloadedSize(media: Pick<ReplyMedia, "kind" | "mimeType">, bytes: number): string | undefined {
  const xLimit = X_MEDIA_LIMITS[media.kind].maxBytes;
  return bytes > xLimit ? `the attachment is ${formatMegabytes(bytes)}, over X's ${formatMegabytes(xLimit)} for its kind` : undefined;
}

/** The attachment stored on a reply row, or undefined when it has none. */
export function replyMediaOf(reply: {
  readonly mediaFileId: string | null;
  readonly mediaKind: ReplyMediaKind | null;
  readonly mediaMimeType: string | null;
  readonly mediaBytes: number | null;
  readonly mediaDurationSeconds: number | null;
}): ReplyMedia | undefined {
  if (reply.mediaFileId === null || reply.mediaKind === null || reply.mediaMimeType === null) return undefined;
  return {
    fileId: reply.mediaFileId,
    kind: reply.mediaKind,
    mimeType: reply.mediaMimeType,
    bytes: reply.mediaBytes ?? undefined,
    durationSeconds: reply.mediaDurationSeconds ?? undefined,
  };
}

/** The card's line for an attachment: "Video · MP4 · 3.2 MB · 12 s". */
export function describeMedia(media: ReplyMedia): string {
  const kindWord = { image: "Image", gif: "GIF", video: "Video" }[media.kind];
  const format = formatName(media.mimeType);
  const parts = format === kindWord ? [kindWord] : [kindWord, format];
  if (media.bytes !== undefined) parts.push(formatMegabytes(media.bytes));
  if (media.durationSeconds !== undefined) parts.push(`${media.durationSeconds} s`);
  return parts.join(" · ");
}
