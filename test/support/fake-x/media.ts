// Media uploaded through the v2 media upload: who owns it, what was appended, its processing and its expiry.
import type { FakeXMediaCategory, FakeXMediaSettings, FakeXMediaState, FakeXMediaUpload } from "./types.js";

/** An upload as stored. */
export interface StoredMedia {
  id: string;
  ownerId: string;
  mediaType: string;
  category: FakeXMediaCategory;
  totalBytes: number;
  /** Bytes received per segment index (a repeated index replaces the segment, as on X). */
  segments: Map<number, number>;
  appends: number;
  finalized: boolean;
  /** When processing ends (epoch ms); undefined for images, which need none. */
  processedAt: number | undefined;
  /** Why processing fails, when the test asked for it. */
  failure: string | undefined;
  expiresAt: number;
}

/** X's size limit per category (bytes). */
export const FAKE_X_MEDIA_LIMITS: Readonly<Record<FakeXMediaCategory, number>> = {
  tweet_image: 5 * 1024 * 1024,
  tweet_gif: 15 * 1024 * 1024,
  tweet_video: 512 * 1024 * 1024,
};

const DEFAULT_SETTINGS: Required<FakeXMediaSettings> = { processingMs: 200, checkAfterSecs: 1, expiresAfterSecs: 86_400 };

/** The uploads of every user, and how processing and expiry behave. */
export class MediaStore {
  readonly uploads = new Map<string, StoredMedia>();
  private nextId = 1_850_000_000_000_000_000n;
  private settings = { ...DEFAULT_SETTINGS };
  private failures: string[] = [];

  /** A fresh snowflake-like media id. */
  newId(): string {
    return String(this.nextId++);
  }

  configure(settings: FakeXMediaSettings): void {
    for (const [key, value] of Object.entries(settings)) {
      if (value !== undefined && (typeof value !== "number" || !(value >= 0))) throw new Error(`fake-x: invalid media setting ${key}`);
    }
    this.settings = { ...this.settings, ...settings };
  }

  get current(): Readonly<Required<FakeXMediaSettings>> {
    return this.settings;
  }

  /** The next finalized GIF or video fails processing with `message`. */
  failNextProcessing(message: string): void {
    this.failures.push(message);
  }

  /** A failure queued by {@link failNextProcessing}, consumed. */
  takeFailure(): string | undefined {
    return this.failures.shift();
  }

  expire(mediaId: string): void {
    const media = this.uploads.get(mediaId);
    if (!media) throw new Error(`fake-x: unknown media ${mediaId}`);
    media.expiresAt = Date.now() - 1;
  }

  /** Where processing stands now. */
  stateOf(media: StoredMedia): FakeXMediaState {
    if (Date.now() >= media.expiresAt) return "expired";
    if (!media.finalized) return "uploading";
    if (media.processedAt === undefined) return "succeeded";
    if (Date.now() < media.processedAt) return "processing";
    return media.failure === undefined ? "succeeded" : "failed";
  }

  appendedBytes(media: StoredMedia): number {
    let total = 0;
    for (const n of media.segments.values()) total += n;
    return total;
  }

  /** X's media key: its type prefix (3 photo, 16 animated GIF, 7 video) and the id. */
  mediaKey(media: StoredMedia): string {
    const prefix = media.category === "tweet_image" ? 3 : media.category === "tweet_gif" ? 16 : 7;
    return `${prefix}_${media.id}`;
  }

  /** What a test sees of an upload. */
  describe(media: StoredMedia): FakeXMediaUpload {
    return {
      mediaId: media.id,
      mediaKey: this.mediaKey(media),
      ownerId: media.ownerId,
      mediaType: media.mediaType,
      category: media.category,
      totalBytes: media.totalBytes,
      appendedBytes: this.appendedBytes(media),
      appends: media.appends,
      segments: media.segments.size,
      state: this.stateOf(media),
      expiresAt: new Date(media.expiresAt),
    };
  }

  /** Forgets uploads, queued failures and settings (ids keep increasing). */
  clear(): void {
    this.uploads.clear();
    this.failures = [];
    this.settings = { ...DEFAULT_SETTINGS };
  }
}
