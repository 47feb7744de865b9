/**
 * Time ranges as they live in the URL (`?range=1h`, or `?from=…&to=…` for a custom range) and the
 * auto-refresh setting (`?refresh=30s`). Pure: every function takes `now` instead of reading the clock.
 */
import type { Interval } from "../types/api";

export const PRESETS = ["15m", "1h", "6h", "24h", "7d", "30d"] as const;
export type Preset = (typeof PRESETS)[number];
export const DEFAULT_PRESET: Preset = "24h";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const PRESET_MS: Record<Preset, number> = {
  "15m": 15 * MINUTE,
  "1h": HOUR,
  "6h": 6 * HOUR,
  "24h": DAY,
  "7d": 7 * DAY,
  "30d": 30 * DAY,
};

const PRESET_LABELS: Record<Preset, string> = {
  "15m": "Last 15 minutes",
  "1h": "Last 1 hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

export type RangeSpec = { kind: "preset"; preset: Preset } | { kind: "custom"; from: Date; to: Date };

export interface ResolvedRange {
  from: Date;
  to: Date;
}

export function isPreset(value: string | null | undefined): value is Preset {
  return (PRESETS as readonly string[]).includes(value ?? "");
}

function parseDate(raw: string | null): Date | null {
  if (!raw) return null;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The range a URL asks for; anything missing or malformed falls back to `fallback` (last 24 hours). */
export function parseRange(params: URLSearchParams, fallback: Preset = DEFAULT_PRESET): RangeSpec {
  const from = parseDate(params.get("from"));
  const to = parseDate(params.get("to"));
  if (from && to && from < to) return { kind: "custom", from, to };
  const range = params.get("range");
  return { kind: "preset", preset: isPreset(range) ? range : fallback };
}

/** Writes `spec` into a copy of `params`, removing what the other kind of range used. */
export function writeRange(params: URLSearchParams, spec: RangeSpec): URLSearchParams {
  const next = new URLSearchParams(params);
  if (spec.kind === "preset") {
    next.set("range", spec.preset);
    next.delete("from");
    next.delete("to");
  } else {
    next.delete("range");
    next.set("from", spec.from.toISOString());
    next.set("to", spec.to.toISOString());
  }
  return next;
}

/** Absolute `[from, to)` of a range at `now`. */
export function resolveRange(spec: RangeSpec, now: Date): ResolvedRange {
  if (spec.kind === "custom") return { from: spec.from, to: spec.to };
  return { from: new Date(now.getTime() - PRESET_MS[spec.preset]), to: now };
}

export function rangeDurationMs(spec: RangeSpec): number {
  return spec.kind === "custom" ? spec.to.getTime() - spec.from.getTime() : PRESET_MS[spec.preset];
}

export function presetLabel(preset: Preset): string {
  return PRESET_LABELS[preset];
}

function short(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function describeRange(spec: RangeSpec): string {
  return spec.kind === "preset" ? PRESET_LABELS[spec.preset] : `${short(spec.from)} → ${short(spec.to)}`;
}

/** The server refuses more than 2000 buckets; aim well below, at the finest interval that fits. */
export const MAX_CHART_POINTS = 1500;

const INTERVAL_MS: Record<Interval, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/** Minutes up to a day (≤1440 points), hours up to ~2 months, days beyond. */
export function chooseInterval(range: ResolvedRange): Interval {
  const span = range.to.getTime() - range.from.getTime();
  for (const interval of ["minute", "hour"] as const) {
    if (span / INTERVAL_MS[interval] <= MAX_CHART_POINTS) return interval;
  }
  return "day";
}

export function intervalMs(interval: Interval): number {
  return INTERVAL_MS[interval];
}

// -- auto-refresh --------------------------------------------------------------------------------

export const REFRESH_OPTIONS = ["off", "5s", "30s", "1m"] as const;
export type Refresh = (typeof REFRESH_OPTIONS)[number];

const REFRESH_MS: Record<Refresh, number | null> = { off: null, "5s": 5000, "30s": 30_000, "1m": 60_000 };

export function parseRefresh(raw: string | null): Refresh {
  return (REFRESH_OPTIONS as readonly string[]).includes(raw ?? "") ? (raw as Refresh) : "off";
}

export function refreshMs(refresh: Refresh): number | null {
  return REFRESH_MS[refresh];
}

/** A custom range is fixed in time: auto-refresh only makes sense for ranges that end now. */
export function refreshApplies(spec: RangeSpec): boolean {
  return spec.kind === "preset";
}

// -- <input type="datetime-local"> --------------------------------------------------------------

/** A date as the value of a datetime-local input, in the browser's zone: "2025-01-31T12:00". */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The date a datetime-local input holds (browser's zone); null when empty or invalid. */
export function fromLocalInput(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Validates a custom range from the picker; returns an error message or null. */
export function validateCustomRange(from: Date | null, to: Date | null): string | null {
  if (!from || !to) return "Enter both a start and an end.";
  if (from >= to) return "The start must be before the end.";
  if (to.getTime() - from.getTime() > 5 * 366 * DAY) return "Choose a range of at most five years.";
  return null;
}
