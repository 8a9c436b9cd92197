import { describe, expect, it } from "vitest";
import { capturingLogger } from "./support/logger.js";

describe("logger", () => {
  it("never writes a configured secret, wherever it appears", () => {
    const token = "123456:SECRET-token";
    const { logger, lines } = capturingLogger([token, "sk-live-key"]);
    logger.info({ url: `https://api.telegram.org/bot${token}/getMe` }, "calling");
    logger.error({ err: new Error(`request failed for key sk-live-key`) }, "boom");
    logger.info({ config: { telegram: { token: "other" } }, authorization: "Bearer x" }, "paths");
    const output = lines.join("");
    expect(output).not.toContain(token);
    expect(output).not.toContain("sk-live-key");
    expect(output).not.toContain("Bearer x");
    expect(output).toContain("[REDACTED]");
    expect(lines).toHaveLength(3);
  });
});
