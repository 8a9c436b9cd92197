/**
 * The frame of every dashboard page: one self-contained HTML document (inline CSS, no script, no outside asset),
 * and the headers that keep it that way (a CSP that allows nothing else, no framing, no referrer).
 */
import { escapeAttribute, escapeHtml } from "../../text/html.js";

/** Response headers of every dashboard page. */
export const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** Content type of the pages. */
export const HTML_TYPE = "text/html; charset=utf-8";

/** How a state reads at a glance: good (green), warn (amber), bad (red) or idle (grey). */
type Tone = "good" | "warn" | "bad" | "idle";

const TONES: Readonly<Record<string, Tone>> = {
  healthy: "good",
  ok: "good",
  closed: "good",
  active: "good",
  delivered: "good",
  degraded: "warn",
  half_open: "warn",
  disabled: "idle",
  pending: "warn",
  warning: "warn",
  not_configured: "idle",
  merged: "idle",
  info: "idle",
  debug: "idle",
  error: "bad",
  down: "bad",
  open: "bad",
  isolated: "bad",
  failed: "bad",
  dead: "bad",
  critical: "bad",
};

/** The tone of a state word; unknown words are idle. */
function toneOf(state: string): Tone {
  return TONES[state] ?? "idle";
}

/** A coloured state word, escaped; `data-state` carries the raw word for tools. */
export function badge(state: string, id?: string): string {
  const idAttribute = id === undefined ? "" : ` id="${escapeAttribute(id)}"`;
  return `<span${idAttribute} class="badge ${toneOf(state)}" data-state="${escapeAttribute(state)}">${escapeHtml(state.replaceAll("_", " "))}</span>`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--mute:#667085;--line:#e4e7ec;
--good:#12805c;--warn:#b54708;--bad:#c01048;--idle:#667085}
@media (prefers-color-scheme:dark){:root{--bg:#0f1218;--card:#171b24;--ink:#e6e9ef;--mute:#98a2b3;--line:#2a3140}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:1rem 1.5rem;border-bottom:1px solid var(--line);background:var(--card)}
header h1{font-size:1.15rem;margin:0}
header .meta{color:var(--mute);margin:0;flex:1 1 20rem}
main{padding:1rem 1.5rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr))}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:.95rem;margin:0 0 .5rem}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.3rem .4rem;border-top:1px solid var(--line);vertical-align:top}
th{color:var(--mute);font-weight:600;border-top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.detail{color:var(--mute);overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;font-weight:600;color:#fff;white-space:nowrap}
.badge.good{background:var(--good)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}.badge.idle{background:var(--idle)}
.tiles{display:flex;flex-wrap:wrap;gap:.5rem}
.tile{flex:1 1 6rem;border:1px solid var(--line);border-radius:6px;padding:.4rem .6rem}
.tile b{display:block;font-size:1.5rem;font-variant-numeric:tabular-nums}
.tile span{color:var(--mute);font-size:.8rem}
.charts{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr))}
figure{margin:0}
figcaption{display:flex;justify-content:space-between;font-weight:600}
figcaption span{color:var(--mute);font-weight:400}
svg{width:100%;height:auto;display:block}
svg text{fill:var(--mute);font-size:10px}
.empty{color:var(--mute)}
form.inline{margin:0}
button{font:inherit;padding:.3rem .8rem;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--ink);cursor:pointer}
.login{max-width:24rem;margin:4rem auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.5rem}
.login input{width:100%;font:inherit;padding:.45rem;margin:.4rem 0 .8rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--ink)}
.error{color:var(--bad)}
`;

/** A complete HTML document; `refreshSeconds` reloads it on that period (a meta refresh: no script needed). */
export function htmlDocument(title: string, body: string, refreshSeconds?: number): string {
  const refresh = refreshSeconds === undefined ? "" : `<meta http-equiv="refresh" content="${refreshSeconds}">`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">${refresh}` +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>${body}</body></html>`
  );
}
