// Request bodies: JSON, raw text, and a small multipart/form-data reader (enough for twitter-api-v2's media APPEND).

/** A parsed form: text fields as strings, parts sent as files or octet streams as Buffers. */
export type FakeXFormData = Record<string, string | Buffer>;

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a `multipart/form-data; boundary=…` content type, or null for any other type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? null;
}

/** The parts of `body`; null when it is not well-formed multipart for `boundary`. */
export function parseMultipart(body: Buffer, boundary: string): FakeXFormData | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: FakeXFormData = {};
  let at = body.indexOf(delimiter);
  if (at !== 0) return null;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === "--") return out;
    if (!body.subarray(at, at + 2).equals(CRLF)) return null;
    const headerEnd = body.indexOf(HEADER_END, at);
    if (headerEnd === -1) return null;
    const headers = body.subarray(at + 2, headerEnd).toString("utf8");
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headerEnd);
    if (next === -1) return null;
    const content = body.subarray(headerEnd + HEADER_END.length, next);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) return null;
    const binary = /\bfilename="/i.test(headers) || /content-type:\s*application\/octet-stream/i.test(headers);
    out[name] = binary ? Buffer.from(content) : content.toString("utf8");
    at = next + CRLF.length;
  }
}

/** A request body as the endpoints see it: multipart parts, parsed JSON, else the raw text (undefined when empty). */
export function parseRequestBody(raw: Buffer, contentType: string | undefined): unknown {
  if (!raw.length) return undefined;
  const boundary = multipartBoundary(contentType);
  if (boundary !== null) return parseMultipart(raw, boundary) ?? raw.toString("utf8");
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
