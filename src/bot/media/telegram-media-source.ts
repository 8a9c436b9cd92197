import { GrammyError, HttpError, type Api } from "grammy";
import { MediaUnavailableError, type MediaSource } from "../../workflow/media/types.js";

/** What the Telegram media source needs: the Bot API (for getFile) and where its file URLs live. */
export interface TelegramMediaSourceOptions {
  readonly api: Pick<Api, "getFile">;
  /** The Bot API root, e.g. https://api.telegram.org; files are at `${apiRoot}/file/bot<token>/<file_path>`. */
  readonly apiRoot: string;
  readonly token: string;
  /** How long getFile and the download may take together; default 2 minutes. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Telegram's 400 for a file_id it may serve later ("wrong file_id or the file is temporarily unavailable"). */
const TEMPORARILY_UNAVAILABLE = /temporarily unavailable/i;

/**
 * What may be said of an error without a secret. The file URL holds the token and grammY's network errors quote the
 * method URL, so only a Bot API answer, an error code (ECONNREFUSED) or an error's name.
 */
function safeCause(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  const inner = error instanceof HttpError ? error.error : error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = typeof inner === "object" && inner !== null ? (inner as { code?: unknown }).code : undefined;
  if (typeof code === "string") return code;
  return inner instanceof Error ? inner.name : "unknown error";
}

/**
 * Downloads attachments from Telegram: getFile for the file's path, then its bytes from the file URL, within
 * `timeoutMs` and the caller's signal. A file Telegram will never hand out (over the download limit: getFile's 400
 * "file is too big"; an unknown file_id; a 404 on the download) throws {@link MediaUnavailableError}; a network
 * error, a 5xx, a timeout or a cancel throws a plain Error (worth trying again). No error names the file URL or
 * wraps an error that does: the URL holds the bot token.
 */
export function createTelegramMediaSource(options: TelegramMediaSourceOptions): MediaSource {
  const { api, apiRoot, token } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    async download(fileId, signal) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const both = signal ? AbortSignal.any([deadline, signal]) : deadline;
      /** Runs one step; what it throws becomes an Error that says which step, and why, without a secret. */
      const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          if (signal?.aborted) throw new Error(`Telegram ${name} cancelled`);
          if (deadline.aborted) throw new Error(`Telegram ${name} timed out after ${timeoutMs} ms`);
          const permanent = error instanceof GrammyError && error.error_code === 400 && !TEMPORARILY_UNAVAILABLE.test(error.description);
          if (permanent) throw new MediaUnavailableError(`Telegram will not hand out this attachment (${error.description})`);
          throw new Error(`Telegram ${name} failed (${safeCause(error)})`);
        }
      };

      // grammY types its signal with the abort-controller polyfill's class; the platform's one is what it uses on Node.
      const file = await step("getFile", () => api.getFile(fileId, both as Parameters<Api["getFile"]>[1]));
      const path = file.file_path;
      if (path === undefined) throw new MediaUnavailableError("Telegram gave no download path for this attachment");
      const response = await step("file download", () => fetch(`${apiRoot}/file/bot${token}/${path}`, { signal: both }));
      if (!response.ok) {
        await response.body?.cancel();
        if (response.status === 404) throw new MediaUnavailableError("Telegram no longer has this attachment (404 on download)");
        throw new Error(`Telegram file download failed (HTTP ${response.status})`);
      }
      return new Uint8Array(await step("file download", () => response.arrayBuffer()));
    },
  };
}
