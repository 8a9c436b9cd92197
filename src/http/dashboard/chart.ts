/** Bar charts as inline SVG: no script, no outside asset, readable without CSS. */
import { escapeAttribute, escapeHtml } from "../../text/html.js";

/** One bar: its axis label (may be empty), the value and the tooltip it shows on hover. */
interface Bar {
  readonly label: string;
  readonly value: number;
  readonly tooltip: string;
}

/** A chart to draw. */
export interface BarChart {
  /** Machine name of the series (the figure's `data-chart`). */
  readonly name: string;
  readonly title: string;
  readonly color: string;
  readonly bars: readonly Bar[];
}

const BAR_WIDTH = 14;
const GAP = 3;
const LEFT = 26;
const TOP = 8;
const PLOT_HEIGHT = 80;
const BOTTOM = 16;

/** A round top for the axis: the smallest of 1, 2, 5 × 10ⁿ at least `max` (1 for an empty chart). */
function axisTop(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= max) ?? 10 * power;
}

/** The chart as a `<figure>` holding an SVG: bars scaled to a round axis top, the total in the caption. */
export function renderBarChart(chart: BarChart): string {
  const top = axisTop(Math.max(0, ...chart.bars.map((bar) => bar.value)));
  const total = chart.bars.reduce((sum, bar) => sum + bar.value, 0);
  const width = LEFT + chart.bars.length * (BAR_WIDTH + GAP);
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const baseline = TOP + PLOT_HEIGHT;
  const bars = chart.bars.map((bar, i) => {
    const x = LEFT + i * (BAR_WIDTH + GAP);
    const barHeight = bar.value === 0 ? 0 : Math.max(1, Math.round((bar.value / top) * PLOT_HEIGHT));
    const label = bar.label === "" ? "" : `<text x="${x + BAR_WIDTH / 2}" y="${height - 4}" text-anchor="middle">${escapeHtml(bar.label)}</text>`;
    return (
      `<rect x="${x}" y="${baseline - barHeight}" width="${BAR_WIDTH}" height="${barHeight}" fill="${escapeAttribute(chart.color)}" ` +
      `data-value="${bar.value}"><title>${escapeHtml(bar.tooltip)}</title></rect>${label}`
    );
  });
  const axis =
    `<line x1="${LEFT - 2}" y1="${baseline}" x2="${width}" y2="${baseline}" stroke="currentColor" stroke-opacity=".3"/>` +
    `<line x1="${LEFT - 2}" y1="${TOP}" x2="${width}" y2="${TOP}" stroke="currentColor" stroke-opacity=".12" stroke-dasharray="3 3"/>` +
    `<text x="${LEFT - 5}" y="${TOP + 4}" text-anchor="end">${top}</text>` +
    `<text x="${LEFT - 5}" y="${baseline}" text-anchor="end">0</text>`;
  return (
    `<figure data-chart="${escapeAttribute(chart.name)}" data-total="${total}">` +
    `<figcaption>${escapeHtml(chart.title)} <span>${total} in 24 h</span></figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeAttribute(`${chart.title}: ${total} in the last 24 hours`)}">` +
    `${axis}${bars.join("")}</svg></figure>`
  );
}
