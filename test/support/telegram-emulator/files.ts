// Files users send (photo sizes, animations, videos, documents): getFile and the download route /file/bot<token>/<path>.
import type { ServerResponse } from "node:http";
import type { EmulatorState } from "./state.js";
import type { EmulatorMedia } from "./types.js";
import { bad, type Json } from "./values.js";

/** The cloud Bot API's download limit for bots: getFile refuses larger files. */
export const CLOUD_BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** A stored file: its bytes when the test gave them, else only a declared size (the content is generated on download). */
export interface EmulatorFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  size: number;
  bytes: Buffer | undefined;
}

const GENERATED_CHUNK = 64 * 1024;

/** Byte `i` of a file whose content was only declared: a fixed pattern, so a download can be checked. */
export function generatedByte(index: number): number {
  return index % 251;
}

function generatedChunk(start: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) chunk[i] = generatedByte(start + i);
  return chunk;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
};

/** Stores a file under a fresh file_id and path in `folder` ("photos", "videos", "animations", "documents"). */
export function storeFile(s: EmulatorState, folder: string, mimeType: string, content: { bytes?: Uint8Array; size?: number }): EmulatorFile {
  const n = s.nextFileNumber++;
  const bytes = content.bytes === undefined ? undefined : Buffer.from(content.bytes);
  const size = bytes?.length ?? content.size;
  if (size === undefined || !Number.isInteger(size) || size < 1) throw new Error("sendMedia: give the file's bytes or a positive size");
  const suffix = n.toString(36).padStart(6, "0");
  const file: EmulatorFile = {
    fileId: `BQACAgIAAxkBAAI${suffix}${Buffer.from(`file-${n}`).toString("base64url")}`,
    fileUniqueId: `AQAD${suffix}`,
    filePath: `${folder}/file_${n}.${EXTENSIONS[mimeType] ?? "bin"}`,
    size,
    bytes,
  };
  s.files.set(file.fileId, file);
  return file;
}

/** The `PhotoSize`, `Video`, `Animation` or `Document` fields every file object has. */
function fileFields(file: EmulatorFile): Json {
  return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size };
}

/** Telegram's photo sizes: the largest is the original (given bytes or size), smaller ones are scaled copies. */
function photoSizes(s: EmulatorState, media: Extract<EmulatorMedia, { kind: "photo" }>): { sizes: Json[]; main: EmulatorFile } {
  const width = media.width ?? 1280;
  const height = media.height ?? 960;
  const longest = Math.max(width, height);
  const original = storeFile(s, "photos", "image/jpeg", media);
  const sizes: Json[] = [];
  for (const side of [90, 320, 800]) {
    if (side >= longest) break;
    const scale = side / longest;
    const size = Math.max(1, Math.round(original.size * scale * scale));
    const copy = storeFile(s, "photos", "image/jpeg", { size });
    sizes.push({ ...fileFields(copy), width: Math.round(width * scale), height: Math.round(height * scale) });
  }
  sizes.push({ ...fileFields(original), width, height });
  return { sizes, main: original };
}

/** The message fields of a user's media message (`photo`, `animation` + `document`, `video` or `document`). */
export function mediaFields(s: EmulatorState, media: EmulatorMedia): { fields: Json; file: EmulatorFile } {
  switch (media.kind) {
    case "photo": {
      const { sizes, main } = photoSizes(s, media);
      return { fields: { photo: sizes }, file: main };
    }
    case "animation": {
      // Telegram turns GIFs into silent MP4s and sends them as an animation and a document.
      const file = storeFile(s, "animations", "video/mp4", media);
      const fileName = media.fileName ?? "animation.gif.mp4";
      const document = { ...fileFields(file), file_name: fileName, mime_type: "video/mp4" };
      const animation = { ...document, width: media.width ?? 480, height: media.height ?? 270, duration: media.duration ?? 3 };
      return { fields: { animation, document }, file };
    }
    case "video": {
      const mimeType = media.mimeType ?? "video/mp4";
      const file = storeFile(s, "videos", mimeType, media);
      const video: Json = { ...fileFields(file), width: media.width ?? 1280, height: media.height ?? 720, duration: media.duration ?? 10, mime_type: mimeType };
      if (media.fileName !== undefined) video.file_name = media.fileName;
      return { fields: { video }, file };
    }
    case "document": {
      const file = storeFile(s, "documents", media.mimeType, media);
      const fileName = media.fileName ?? `file.${EXTENSIONS[media.mimeType] ?? "bin"}`;
      return { fields: { document: { ...fileFields(file), file_name: fileName, mime_type: media.mimeType } }, file };
    }
  }
}

/** getFile: the file's path, or Telegram's 400 for an unknown id or a file over the download limit. */
export function getFile(s: EmulatorState, p: Json): Json {
  const fileId = typeof p.file_id === "string" ? p.file_id : "";
  if (fileId === "") throw bad("file_id is empty");
  const file = s.files.get(fileId);
  if (!file) throw bad("invalid file_id");
  if (file.size > s.fileDownloadLimit) throw bad("file is too big");
  return { ...fileFields(file), file_path: file.filePath };
}

/** GET /file/bot<token>/<file_path>: the bytes (generated in chunks for declared-size files); false when unknown. */
export function serveFile(s: EmulatorState, filePath: string, res: ServerResponse): boolean {
  const file = [...s.files.values()].find((f) => f.filePath === filePath);
  if (!file) return false;
  s.downloads.push(filePath);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.size });
  if (file.bytes) {
    res.end(file.bytes);
    return true;
  }
  let offset = 0;
  const pump = (): void => {
    while (offset < file.size && !res.destroyed) {
      const length = Math.min(GENERATED_CHUNK, file.size - offset);
      const more = res.write(generatedChunk(offset, length));
      offset += length;
      if (!more) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
  return true;
}
