/** Median and 95th percentile of a sample, in the sample's unit. */
export function summarize(samples: readonly number[]): { median: number; p95: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

/** "median 12.3 ms, p95 20.1 ms (min …, max …, n=50)". */
export function formatMs(samples: readonly number[]): string {
  const { median, p95, min, max } = summarize(samples);
  return `median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (min ${min.toFixed(1)}, max ${max.toFixed(1)}, n=${samples.length})`;
}
