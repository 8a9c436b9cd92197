import { describe, expect, it } from "vitest";
import { errorChain, errorCode, findInChain } from "../../src/kit/error-chain.js";

const codeError = (code: string, cause?: unknown): Error => Object.assign(new Error(code, { cause }), { code });

describe("errorChain", () => {
  it("yields the error and each cause beneath it, outermost first", () => {
    const root = codeError("ECONNREFUSED");
    const middle = new Error("query failed", { cause: root });
    const top = new Error("drizzle", { cause: middle });
    expect([...errorChain(top)]).toEqual([top, middle, root]);
  });

  it("stops after the depth limit, so a cause cycle cannot loop forever", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect([...errorChain(a)]).toHaveLength(5);
    expect([...errorChain(a, 3)]).toEqual([a, b, a]);
  });

  it("walks plain objects with a cause and stops at a falsy link", () => {
    const inner = { code: "23505" };
    expect([...errorChain({ cause: inner })]).toEqual([{ cause: inner }, inner]);
    expect([...errorChain(undefined)]).toEqual([]);
    expect([...errorChain(new Error("x", { cause: "" }))]).toHaveLength(1);
  });
});

describe("findInChain", () => {
  it("finds the first matching link, at any depth within the limit", () => {
    const root = codeError("57P01");
    const top = new Error("wrapped", { cause: new Error("mid", { cause: root }) });
    expect(findInChain(top, (link) => errorCode(link) === "57P01")).toBe(root);
    expect(findInChain(top, (link) => errorCode(link) === "23505")).toBeUndefined();
  });

  it("does not look past the depth limit", () => {
    let error: Error = codeError("deep");
    for (let i = 0; i < 5; i++) error = new Error(`wrap ${i}`, { cause: error });
    expect(findInChain(error, (link) => errorCode(link) === "deep")).toBeUndefined();
    expect(findInChain(error, (link) => errorCode(link) === "deep", 6)).toBeDefined();
  });
});

describe("errorCode", () => {
  it("reads a string code only", () => {
    expect(errorCode(codeError("EPIPE"))).toBe("EPIPE");
    expect(errorCode(Object.assign(new Error("n"), { code: 42 }))).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
  });
});
