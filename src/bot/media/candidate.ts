import type { Message } from "grammy/types";
import type { MediaCandidate } from "../../workflow/media/types.js";

/** How an attachment came into the chat, which is also how its preview is sent back (sendPhoto, sendAnimation, …). */
export type ReceivedAs = "photo" | "animation" | "video" | "document";

/** An attachment of a chat message: what it claims to be, and how it came. */
export interface ReceivedMedia {
  readonly as: ReceivedAs;
  readonly candidate: MediaCandidate;
}

/** The media fields of a message; the Bot API's `Message` type would accept any other message too. */
type MediaMessage = Pick<Message, "photo" | "animation" | "video" | "document">;

/**
 * The attachment of a message, or undefined when it has none: a photo (Telegram's largest size, the last one, always
 * a JPEG), an animation (a GIF Telegram turned into an MP4: its own type and length), a video, or any file sent as a
 * document (a GIF, WEBP or MOV sent as a file keeps its type). An animation also carries a `document`, so it is
 * looked at first.
 */
export function receivedMediaOf(message: MediaMessage): ReceivedMedia | undefined {
  const { photo, animation, video, document } = message;
  const original = photo?.at(-1);
  if (original) {
    return { as: "photo", candidate: { fileId: original.file_id, mimeType: "image/jpeg", bytes: original.file_size, durationSeconds: undefined } };
  }
  if (animation) {
    const candidate = { fileId: animation.file_id, mimeType: animation.mime_type, bytes: animation.file_size, durationSeconds: animation.duration };
    return { as: "animation", candidate };
  }
  if (video) {
    return { as: "video", candidate: { fileId: video.file_id, mimeType: video.mime_type, bytes: video.file_size, durationSeconds: video.duration } };
  }
  if (document) {
    const candidate = { fileId: document.file_id, mimeType: document.mime_type, bytes: document.file_size, durationSeconds: undefined };
    return { as: "document", candidate };
  }
  return undefined;
}
