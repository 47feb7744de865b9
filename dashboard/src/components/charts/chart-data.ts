/** Turns read-API time series into the aligned columns a chart draws (uPlot's `[xs, ...ys]`). Pure. */
import type { Series, TimeSeries } from "../../types/api";

export interface ChartSeries {
  key: string;
  label: string;
  values: (number | null)[];
  color: string;
}

export interface ChartData {
  /** Bucket starts in Unix seconds (uPlot's time scale). */
  xs: number[];
  series: ChartSeries[];
}

/** Grafana's classic palette: distinct on dark and light backgrounds. */
export const PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a"];

const FIXED_COLORS: Record<string, string> = {
  requests: "#73bf69",
  errors: "#f2495c",
  input: "#8ab8ff",
  output: "#ff9830",
  costUsd: "#f2cc0c",
  p50: "#73bf69",
  p95: "#ff9830",
  p99: "#f2495c",
};

const LABELS: Record<string, string> = {
  requests: "Requests",
  errors: "Errors",
  input: "Input",
  output: "Output",
  costUsd: "Cost",
  p50: "p50",
  p95: "p95",
  p99: "p99",
};

export function seriesLabel(series: Series): string {
  if (series.other) return "other models";
  if (series.model !== undefined && series.model !== null) return series.model;
  return LABELS[series.name] ?? series.name;
}

/**
 * One x column for every response (the union of their timestamps, in order) and one y column per series,
 * null where a series has no bucket: a gap, never a made-up zero.
 */
export function toChartData(responses: TimeSeries[]): ChartData {
  const seconds = new Set<number>();
  for (const response of responses) {
    for (const ts of response.timestamps) seconds.add(Math.floor(Date.parse(ts) / 1000));
  }
  const xs = [...seconds].filter(Number.isFinite).sort((a, b) => a - b);
  const position = new Map(xs.map((x, i) => [x, i]));
  const series: ChartSeries[] = [];
  let paletteIndex = 0;
  for (const response of responses) {
    const grouped = response.series.some((s) => s.model !== undefined && s.model !== null) || response.series.some((s) => s.other);
    for (const s of response.series) {
      const values: (number | null)[] = new Array<number | null>(xs.length).fill(null);
      response.timestamps.forEach((ts, i) => {
        const at = position.get(Math.floor(Date.parse(ts) / 1000));
        const value = s.values[i];
        if (at !== undefined && value !== undefined) values[at] = value;
      });
      const key = grouped ? `${response.metric}:${s.other ? "~other" : (s.model ?? s.name)}` : `${response.metric}:${s.name}`;
      const color = grouped ? (s.other ? "#8e8e8e" : PALETTE[paletteIndex++ % PALETTE.length]!) : (FIXED_COLORS[s.name] ?? PALETTE[paletteIndex++ % PALETTE.length]!);
      series.push({ key, label: seriesLabel(s), values, color });
    }
  }
  return { xs, series };
}

/** True when there is nothing to draw: no buckets, or every value zero or null. */
export function isEmptyChart(data: ChartData): boolean {
  return data.xs.length === 0 || data.series.every((s) => s.values.every((v) => v === null || v === 0));
}

/** The sum of a series (nulls skipped): legends show it for counts, tokens and cost. */
export function seriesTotal(values: (number | null)[]): number {
  let total = 0;
  for (const v of values) if (v !== null) total += v;
  return total;
}

/** The largest value of a series, or null when it has none (latency legends show max). */
export function seriesMax(values: (number | null)[]): number | null {
  let max: number | null = null;
  for (const v of values) if (v !== null && (max === null || v > max)) max = v;
  return max;
}
