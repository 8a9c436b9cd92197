import { setTimeout as sleep } from "node:timers/promises";
import { XApiError, XUnexpectedResponseError, classifyXError } from "./errors.js";
import { xId } from "./parse.js";
import type { XMediaFile, XStepRunner, XUploadedMedia } from "./types.js";

/** Bytes per APPEND: X takes up to 5 MB per segment; 4 MB keeps a 512 MB video at 128 requests. */
export const MEDIA_CHUNK_BYTES = 4 * 1024 * 1024;
/** How long X may take to process a medium (a long video) before the upload counts as timed out. */
export const DEFAULT_MEDIA_PROCESSING_TIMEOUT_MS = 300_000;
/** Shortest pause between status reads, whatever `check_after_secs` says. */
const MIN_STATUS_WAIT_MS = 100;

/** The HTTP steps of X's v2 media upload; each resolves with the parsed JSON body. */
export interface MediaUploadRequests {
  initialize(body: { media_type: string; total_bytes: number; media_category: string }, signal: AbortSignal | undefined): Promise<unknown>;
  append(mediaId: string, segmentIndex: number, chunk: Buffer, signal: AbortSignal | undefined): Promise<unknown>;
  finalize(mediaId: string, signal: AbortSignal | undefined): Promise<unknown>;
  status(mediaId: string, signal: AbortSignal | undefined): Promise<unknown>;
}

/** Options of {@link uploadInSteps}. */
export interface UploadInStepsOptions {
  signal?: AbortSignal;
  runStep?: XStepRunner;
  chunkBytes?: number;
  processingTimeoutMs?: number;
  now?: () => number;
}

interface ProcessingInfo {
  state: "pending" | "in_progress" | "succeeded" | "failed";
  checkAfterSecs: number;
  error: string | undefined;
}

interface MediaAnswer {
  id: string | undefined;
  expiresAfterSecs: number | undefined;
  processing: ProcessingInfo | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseProcessing(value: unknown): ProcessingInfo | undefined {
  if (!isRecord(value)) return undefined;
  const state = value.state;
  if (state !== "pending" && state !== "in_progress" && state !== "succeeded" && state !== "failed") return undefined;
  const after = typeof value.check_after_secs === "number" && value.check_after_secs > 0 ? value.check_after_secs : 1;
  const error = isRecord(value.error) && typeof value.error.message === "string" ? value.error.message : undefined;
  return { state, checkAfterSecs: after, error };
}

/** `data` of an initialize, finalize or status answer. */
function parseMediaAnswer(body: unknown): MediaAnswer {
  const data = isRecord(body) && isRecord(body.data) ? body.data : {};
  const expires = data.expires_after_secs;
  return {
    id: xId(data.id),
    expiresAfterSecs: typeof expires === "number" && expires > 0 ? expires : undefined,
    processing: parseProcessing(data.processing_info),
  };
}

function mediaError(message: string, kind: "transient" | "permanent"): XApiError {
  return new XApiError({
    message,
    kind,
    reason: kind === "transient" ? "timeout" : "bad_request",
    status: undefined,
    resetAt: undefined,
    mayHaveSucceeded: false,
    method: "GET",
    endpoint: "GET /2/media/upload",
  });
}

/**
 * X's v2 media upload: initialize, the bytes in chunks, finalize, then the status read until processing succeeds
 * (videos and GIFs are processed; images usually are not). Processing that X reports failed is a permanent error
 * (the file itself is refused); processing still running after `processingTimeoutMs` is a transient one.
 */
export async function uploadInSteps(
  file: XMediaFile,
  requests: MediaUploadRequests,
  options: UploadInStepsOptions = {},
): Promise<XUploadedMedia> {
  const { signal } = options;
  const run: XStepRunner = options.runStep ?? ((step) => step(signal));
  const chunkBytes = options.chunkBytes ?? MEDIA_CHUNK_BYTES;
  const now = options.now ?? Date.now;
  const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);

  const init = parseMediaAnswer(
    await run((s) => requests.initialize({ media_type: file.mimeType, total_bytes: bytes.length, media_category: file.category }, s)),
  );
  const mediaId = init.id;
  if (mediaId === undefined) throw new XUnexpectedResponseError("media upload initialize answered without a valid data.id");
  for (let index = 0, offset = 0; offset < bytes.length; index++, offset += chunkBytes) {
    const chunk = bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.length));
    await run((s) => requests.append(mediaId, index, chunk, s));
  }
  let answer = parseMediaAnswer(await run((s) => requests.finalize(mediaId, s)));
  const startedAt = now();
  const processingTimeoutMs = options.processingTimeoutMs ?? DEFAULT_MEDIA_PROCESSING_TIMEOUT_MS;
  while (answer.processing && answer.processing.state !== "succeeded") {
    if (answer.processing.state === "failed") {
      throw mediaError(`X could not process the media: ${answer.processing.error ?? "no reason given"}`, "permanent");
    }
    if (now() - startedAt >= processingTimeoutMs) {
      throw mediaError(`X was still processing the media after ${Math.round(processingTimeoutMs / 1000)} s`, "transient");
    }
    await sleep(Math.max(MIN_STATUS_WAIT_MS, answer.processing.checkAfterSecs * 1000), undefined, { signal }).catch((error: unknown) => {
      throw classifyXError(error, { method: "GET", endpoint: "GET /2/media/upload", aborted: true, notSent: true });
    });
    const status = parseMediaAnswer(await run((s) => requests.status(mediaId, s)));
    answer = { ...status, expiresAfterSecs: status.expiresAfterSecs ?? answer.expiresAfterSecs };
  }
  const expiresAfterSecs = answer.expiresAfterSecs ?? init.expiresAfterSecs;
  return { mediaId, expiresAt: expiresAfterSecs === undefined ? undefined : new Date(now() + expiresAfterSecs * 1000) };
}
