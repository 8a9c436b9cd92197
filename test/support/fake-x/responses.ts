// The v2 API's answer shapes (problem JSON, invalid-request and not-found errors) shared by every endpoint.
import http from "node:http";

/** An answer the fake is about to send. */
export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Content type of every JSON answer. */
export const JSON_TYPE = "application/json; charset=utf-8";

/** A v2 problem answer (`title`, `detail`, `type`, `status`). */
export function problem(status: number, title: string, detail: string, type = "about:blank"): FakeResponse {
  return { status, body: { title, detail, type, status } };
}

/** The problem answer X gives for a bare status. */
export function defaultProblem(status: number): FakeResponse {
  const title = http.STATUS_CODES[status] ?? "Error";
  return problem(status, title, title);
}

/** Sends `response` (JSON unless the body is a string); false when the client has already gone. */
export function writeResponse(res: http.ServerResponse, response: FakeResponse): boolean {
  if (res.destroyed || res.writableEnded) return false;
  const headers: Record<string, string> = { ...response.headers };
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  let payload = "";
  if (typeof response.body === "string") {
    payload = response.body;
    if (!hasType) headers["content-type"] = "text/plain";
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    if (!hasType) headers["content-type"] = JSON_TYPE;
  }
  headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
  return true;
}

/** X's 429 body. */
export function tooManyRequests(): FakeResponse {
  return problem(429, "Too Many Requests", "Too Many Requests");
}

/** X's 400 for one bad parameter. */
export function invalidRequest(parameter: string, value: string, message: string): FakeResponse {
  return {
    status: 400,
    body: {
      errors: [{ parameters: { [parameter]: [value] }, message }],
      title: "Invalid Request",
      detail: "One or more parameters to your request was invalid.",
      type: "https://api.twitter.com/2/problems/invalid-request",
    },
  };
}

/** One entry of the `errors` array X returns (with status 200) for an unknown tweet or user. */
export function notFoundError(resourceType: "tweet" | "user", parameter: string, value: string): Record<string, string> {
  return {
    value,
    detail: `Could not find ${resourceType} with ${parameter}: [${value}].`,
    title: "Not Found Error",
    resource_type: resourceType,
    parameter,
    resource_id: value,
    type: "https://api.twitter.com/2/problems/resource-not-found",
  };
}

/** A 200 carrying only a not-found error, as X answers lookups of unknown ids. */
export function notFoundAnswer(resourceType: "tweet" | "user", parameter: string, value: string): FakeResponse {
  return { status: 200, body: { errors: [notFoundError(resourceType, parameter, value)] } };
}
