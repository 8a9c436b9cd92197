/**
 * The Fastify-backed server: exact routes as before, `:param` segments, JSON bodies with a size limit,
 * HttpError answers, 404 and 405.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError, HttpServer } from "../../src/http/server.js";
import { silentLogger } from "../support/logger.js";

describe("HttpServer", () => {
  let http: HttpServer;
  let base: string;

  beforeAll(async () => {
    http = new HttpServer(silentLogger(), { bodyLimitBytes: 1_024 });
    http.route("GET", "/plain", (request) => Promise.resolve({ status: 200, body: { method: request.method } }));
    http.route("GET", "/text", () => Promise.resolve({ status: 200, body: "a 1\n", contentType: "text/plain; version=0.0.4" }));
    http.route("GET", "/items/:id/parts/:part", (_request, context) => Promise.resolve({ status: 200, body: context.params }));
    http.route("POST", "/echo", (_request, context) => Promise.resolve({ status: 200, body: { got: context.body } }));
    http.route("DELETE", "/items/:id", () => Promise.resolve({ status: 204, body: null, headers: { "x-done": "yes" } }));
    http.route("GET", "/teapot", () => Promise.reject(new HttpError(418, { error: "short and stout", field: "spout" })));
    http.route("GET", "/boom", () => Promise.reject(new Error("kaput")));
    const address = await http.listen("127.0.0.1", 0);
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => http.close());

  it("keeps serving handlers written for the old one-argument signature", async () => {
    const response = await fetch(`${base}/plain?x=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await response.json()).toEqual({ method: "GET" });
    const text = await fetch(`${base}/text`);
    expect(text.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    expect(await text.text()).toBe("a 1\n");
  });

  it("matches :param segments and decodes them", async () => {
    const response = await fetch(`${base}/items/42/parts/a%20b`);
    expect(await response.json()).toEqual({ id: "42", part: "a b" });
    expect((await fetch(`${base}/items/42/parts`)).status).toBe(404);
    // Segments up to 200 characters (Fastify's default stops at 100): an OAuth state or an alert key fits.
    const long = "k".repeat(200);
    expect(await (await fetch(`${base}/items/42/parts/${long}`)).json()).toEqual({ id: "42", part: long });
  });

  it("answers 405 with Allow for a known path and another method, 404 for unknown paths", async () => {
    const response = await fetch(`${base}/items/7`, { method: "PUT" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("DELETE");
    const deleted = await fetch(`${base}/items/7`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get("x-done")).toBe("yes");
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it("parses JSON bodies, rejecting bad JSON with 400 and big bodies with 413", async () => {
    const post = (body: string) => fetch(`${base}/echo`, { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(await (await post('{"a":[1,2]}')).json()).toEqual({ got: { a: [1, 2] } });
    expect(await (await post("")).json()).toEqual({});
    const bad = await post("{nope");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "body is not valid JSON", field: "body" });
    const big = await post(JSON.stringify({ a: "x".repeat(2_000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ field: "body" });
  });

  it("answers an HttpError as given and anything else as a 500 without details", async () => {
    const teapot = await fetch(`${base}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ error: "short and stout", field: "spout" });
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: "internal error" });
  });
});
