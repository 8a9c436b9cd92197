// The v2 media upload (initialize, append, finalize, status) and the check of `media.media_ids` on POST /2/tweets.
import { FAKE_X_MEDIA_LIMITS, type MediaStore, type StoredMedia } from "./media.js";
import { invalidRequest, type FakeResponse } from "./responses.js";
import type { StoredUser } from "./store.js";
import type { FakeXMediaCategory } from "./types.js";

/** `message` of X's 400 for media ids a post cannot carry (unknown, expired, unprocessed or someone else's). */
export const X_INVALID_MEDIA_IDS_MESSAGE = "Your media IDs are invalid.";

const TYPES_BY_CATEGORY: Readonly<Record<FakeXMediaCategory, readonly string[]>> = {
  tweet_image: ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff"],
  tweet_gif: ["image/gif"],
  tweet_video: ["video/mp4", "video/quicktime", "video/webm"],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function isCategory(value: unknown): value is FakeXMediaCategory {
  return value === "tweet_image" || value === "tweet_gif" || value === "tweet_video";
}

function secondsLeft(media: StoredMedia): number {
  return Math.max(0, Math.ceil((media.expiresAt - Date.now()) / 1000));
}

/** The caller's live upload `id`, or X's 400. */
function ownUpload(media: MediaStore, id: string, caller: StoredUser): StoredMedia | FakeResponse {
  const found = media.uploads.get(id);
  if (!found || found.ownerId !== caller.id || media.stateOf(found) === "expired") {
    return invalidRequest("id", id, `Media id ${id} is invalid or has expired.`);
  }
  return found;
}

/** `data` of a finalize or status answer. */
function mediaData(media: MediaStore, upload: StoredMedia, firstAnswer: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {
    id: upload.id,
    media_key: media.mediaKey(upload),
    size: upload.totalBytes,
    expires_after_secs: secondsLeft(upload),
  };
  const state = media.stateOf(upload);
  if (upload.processedAt === undefined) return data;
  if (state === "processing") {
    const left = Math.max(0, upload.processedAt - Date.now());
    data.processing_info = firstAnswer
      ? { state: "pending", check_after_secs: media.current.checkAfterSecs }
      : { state: "in_progress", check_after_secs: media.current.checkAfterSecs, progress_percent: left === 0 ? 99 : 50 };
  } else if (state === "failed") {
    data.processing_info = { state: "failed", progress_percent: 100, error: { code: 1, name: "InvalidMedia", message: upload.failure } };
  } else {
    data.processing_info = { state: "succeeded", progress_percent: 100 };
  }
  return data;
}

/** POST /2/media/upload/initialize (JSON `media_type`, `total_bytes`, `media_category`). */
export function initializeMedia(media: MediaStore, body: unknown, caller: StoredUser): FakeResponse {
  if (!isRecord(body)) return invalidRequest("body", "", "Request body must be a JSON object");
  const { media_type: mediaType, total_bytes: totalBytes, media_category: category } = body;
  if (!isCategory(category)) {
    return invalidRequest("media_category", String(category), "$.media_category: must be one of [tweet_image, tweet_gif, tweet_video]");
  }
  if (typeof mediaType !== "string" || !TYPES_BY_CATEGORY[category].includes(mediaType)) {
    return invalidRequest("media_type", String(mediaType), `$.media_type: ${String(mediaType)} is not a valid type for ${category}`);
  }
  if (typeof totalBytes !== "number" || !Number.isInteger(totalBytes) || totalBytes < 1) {
    return invalidRequest("total_bytes", String(totalBytes), "$.total_bytes: must be a positive integer");
  }
  const limit = FAKE_X_MEDIA_LIMITS[category];
  if (totalBytes > limit) return invalidRequest("total_bytes", String(totalBytes), `File size exceeds ${limit} bytes.`);
  const upload: StoredMedia = {
    id: media.newId(),
    ownerId: caller.id,
    mediaType,
    category,
    totalBytes,
    segments: new Map(),
    appends: 0,
    finalized: false,
    processedAt: undefined,
    failure: undefined,
    expiresAt: Date.now() + media.current.expiresAfterSecs * 1000,
  };
  media.uploads.set(upload.id, upload);
  return { status: 200, body: { data: { id: upload.id, media_key: media.mediaKey(upload), expires_after_secs: secondsLeft(upload) } } };
}

/** POST /2/media/upload/:id/append (multipart `segment_index` and `media`). */
export function appendMedia(media: MediaStore, id: string, body: unknown, caller: StoredUser): FakeResponse {
  const upload = ownUpload(media, id, caller);
  if (!("ownerId" in upload)) return upload;
  if (upload.finalized) return invalidRequest("id", id, `Media id ${id} is already finalized.`);
  if (!isRecord(body) || !Buffer.isBuffer(body.media)) {
    return invalidRequest("media", "", "A multipart/form-data `media` part is required");
  }
  const index = typeof body.segment_index === "string" ? Number(body.segment_index) : Number.NaN;
  if (!Number.isInteger(index) || index < 0 || index > 999) {
    return invalidRequest("segment_index", String(body.segment_index), "$.segment_index: must be an integer between 0 and 999");
  }
  upload.segments.set(index, body.media.length);
  upload.appends += 1;
  return { status: 200, body: { data: { expires_at: Math.floor(upload.expiresAt / 1000) } } };
}

/** POST /2/media/upload/:id/finalize: images are ready at once, GIFs and videos start processing. */
export function finalizeMedia(media: MediaStore, id: string, caller: StoredUser): FakeResponse {
  const upload = ownUpload(media, id, caller);
  if (!("ownerId" in upload)) return upload;
  if (upload.finalized) return { status: 200, body: { data: mediaData(media, upload, false) } };
  if (media.appendedBytes(upload) !== upload.totalBytes) {
    return invalidRequest("total_bytes", String(upload.totalBytes), "Segments do not add up to provided total file size.");
  }
  upload.finalized = true;
  if (upload.category !== "tweet_image") {
    upload.processedAt = Date.now() + media.current.processingMs;
    upload.failure = media.takeFailure();
  }
  return { status: 200, body: { data: mediaData(media, upload, true) } };
}

/** GET /2/media/upload?command=STATUS&media_id=…. */
export function mediaStatus(media: MediaStore, query: Record<string, string>, caller: StoredUser): FakeResponse {
  if (query.command !== "STATUS") return invalidRequest("command", query.command ?? "", "$.command: must be STATUS");
  const upload = ownUpload(media, query.media_id ?? "", caller);
  if (!("ownerId" in upload)) return upload;
  return { status: 200, body: { data: mediaData(media, upload, false) } };
}

/** The media keys of `ids` when the caller may attach them all to a post, else X's 400. */
export function mediaKeysFor(media: MediaStore, value: unknown, caller: StoredUser): string[] | FakeResponse {
  const ids = isRecord(value) ? value.media_ids : undefined;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 4 || !ids.every((id): id is string => typeof id === "string")) {
    return invalidRequest("media.media_ids", JSON.stringify(ids), "$.media.media_ids: must hold 1 to 4 media id strings");
  }
  const keys: string[] = [];
  for (const id of ids) {
    const upload = media.uploads.get(id);
    if (!upload || upload.ownerId !== caller.id || media.stateOf(upload) !== "succeeded") {
      return invalidRequest("media.media_ids", id, X_INVALID_MEDIA_IDS_MESSAGE);
    }
    keys.push(media.mediaKey(upload));
  }
  return keys;
}
