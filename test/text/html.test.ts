import { describe, expect, it } from "vitest";
import { escapeAttribute, escapeHtml } from "../../src/text/html.js";

describe("escapeAttribute", () => {
  it("escapes what escapeHtml does and both quote marks, so a value cannot leave its attribute", () => {
    const hostile = `x" onmouseover='alert(1)' <b>&`;
    expect(escapeAttribute(hostile)).toBe("x&quot; onmouseover=&#39;alert(1)&#39; &lt;b&gt;&amp;");
    expect(escapeHtml(hostile)).toBe(`x" onmouseover='alert(1)' &lt;b&gt;&amp;`);
  });
});
