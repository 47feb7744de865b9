/**
 * The overview's panel registry: each stat and time-series panel is one entry here (what it queries,
 * its unit, its title). Adding a panel = adding an entry; the page lays them out in order.
 */
import type { Unit } from "../../lib/format";
import type { Overview } from "../../types/api";
import type { SeriesQuery } from "./api";

export interface StatPanelDef {
  id: string;
  title: string;
  unit: Unit;
  /** "range": the selected time range; otherwise the fixed window the title names. */
  scope: "range" | "fixed";
  value: (overview: Overview) => number;
  /** A value that deserves attention (e.g. any errors) is drawn in the warning colour. */
  alarming?: (overview: Overview) => boolean;
}

export const STAT_PANELS: StatPanelDef[] = [
  { id: "requests-today", title: "Requests today", unit: "count", scope: "fixed", value: (o) => o.requests.today },
  { id: "requests-7d", title: "Requests 7 d", unit: "count", scope: "fixed", value: (o) => o.requests.last7d },
  { id: "requests-30d", title: "Requests 30 d", unit: "count", scope: "fixed", value: (o) => o.requests.last30d },
  { id: "error-rate", title: "Error rate", unit: "percent", scope: "range", value: (o) => o.errorRate, alarming: (o) => o.errorRate > 0 },
  { id: "input-tokens", title: "Input tokens", unit: "tokens", scope: "range", value: (o) => o.tokens.input },
  { id: "output-tokens", title: "Output tokens", unit: "tokens", scope: "range", value: (o) => o.tokens.output },
  { id: "cost", title: "Cost", unit: "usd", scope: "range", value: (o) => o.costUsd },
];

export interface TimeSeriesPanelDef {
  id: string;
  title: string;
  unit: Unit;
  queries: SeriesQuery[];
  legendStat: "total" | "max";
  /** Width on large screens: half the grid or all of it. */
  span: "half" | "full";
}

export const TIME_SERIES_PANELS: TimeSeriesPanelDef[] = [
  { id: "requests", title: "Requests and errors", unit: "count", queries: [{ metric: "requests" }, { metric: "errors" }], legendStat: "total", span: "half" },
  { id: "latency", title: "Latency", unit: "ms", queries: [{ metric: "latency" }], legendStat: "max", span: "half" },
  { id: "tokens", title: "Tokens", unit: "tokens", queries: [{ metric: "tokens" }], legendStat: "total", span: "half" },
  { id: "cost", title: "Cost", unit: "usd", queries: [{ metric: "cost" }], legendStat: "total", span: "half" },
  { id: "requests-by-model", title: "Requests by model", unit: "count", queries: [{ metric: "requests", groupBy: "model" }], legendStat: "total", span: "full" },
];
