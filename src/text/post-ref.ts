/** Hosts whose status links name a post on X. */
const X_HOSTS = new Set(["x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"]);

/** A post id: digits only (X's ids are 64-bit, at most 20 digits). */
const POST_ID = /^\d{1,20}$/;

/**
 * The post id in `argument`: a bare id, or a status link on x.com or twitter.com
 * (`https://x.com/<user>/status/<id>`, `…/i/web/status/<id>`, with or without the scheme, a query string, a
 * fragment or a trailing `/photo/1`). Undefined for anything else.
 */
export function parsePostRef(argument: string): string | undefined {
  const text = argument.trim();
  if (POST_ID.test(text)) return text;
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return undefined;
  }
  if (!X_HOSTS.has(url.hostname.toLowerCase())) return undefined;
  const segments = url.pathname.split("/").filter((segment) => segment !== "");
  const at = segments.findIndex((segment) => segment === "status" || segment === "statuses");
  const id = segments[at + 1];
  return at >= 1 && id !== undefined && POST_ID.test(id) ? id : undefined;
}
