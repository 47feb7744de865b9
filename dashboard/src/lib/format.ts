/** Number and time formatting for panels and tables: tokens, USD, milliseconds, percentages, timestamps. */

const DASH = "—";
const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function isNumber(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** An exact count with thousands separators: 1234567 → "1,234,567". */
export function formatCount(value: number | null | undefined): string {
  return isNumber(value) ? grouped.format(value) : DASH;
}

const SUFFIXES = [
  { limit: 1e12, suffix: "T" },
  { limit: 1e9, suffix: "B" },
  { limit: 1e6, suffix: "M" },
  { limit: 1e3, suffix: "K" },
] as const;

function threeSignificant(scaled: number): string {
  const abs = Math.abs(scaled);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return scaled.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, "$1");
}

/** A compact count for stat panels and axes: 950 → "950", 12_345 → "12.3K", 4_560_000 → "4.56M". */
export function formatCompact(value: number | null | undefined): string {
  if (!isNumber(value)) return DASH;
  const abs = Math.abs(value);
  const index = SUFFIXES.findIndex(({ limit }) => abs >= limit);
  if (index === -1) return Number.isInteger(value) ? String(value) : threeSignificant(value);
  const { limit, suffix } = SUFFIXES[index]!;
  const text = threeSignificant(value / limit);
  const bigger = SUFFIXES[index - 1];
  // 999_950 rounds to "1000K": say "1M" instead.
  if (Math.abs(Number(text)) >= 1000 && bigger) return `${threeSignificant(value / bigger.limit)}${bigger.suffix}`;
  return `${text}${suffix}`;
}

/** Token counts: compact (12.3K tokens reads better than 12,345 in a panel). */
export const formatTokens = formatCompact;

/**
 * US dollars. Model calls cost fractions of a cent, so small amounts keep two significant digits:
 * 0 → "$0.00", 0.00042 → "$0.00042", 0.1234 → "$0.1234", 12.3456 → "$12.35", 12345.6 → "$12,345.60".
 */
export function formatUsd(value: number | null | undefined): string {
  if (!isNumber(value)) return DASH;
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  if (abs === 0) return "$0.00";
  if (abs >= 1) {
    return `${sign}$${abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  if (abs >= 0.01) {
    const text = abs.toFixed(4).replace(/0+$/, "");
    const [, decimals = ""] = text.split(".");
    return `${sign}$${decimals.length < 2 ? abs.toFixed(2) : text}`;
  }
  const digits = Math.min(10, 1 - Math.floor(Math.log10(abs)));
  return `${sign}$${abs.toFixed(digits).replace(/0+$/, "")}`;
}

/** Durations: 0.4 → "0.4 ms", 350 → "350 ms", 1250 → "1.25 s", 125000 → "2m 5s". */
export function formatMs(value: number | null | undefined): string {
  if (!isNumber(value)) return DASH;
  const abs = Math.abs(value);
  if (abs < 1) return `${value.toFixed(1).replace(/\.0$/, "")} ms`;
  if (abs < 1000) return `${Math.round(value)} ms`;
  if (abs < 60_000) return `${(value / 1000).toFixed(2).replace(/\.?0+$/, "")} s`;
  const totalSeconds = Math.round(abs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const sign = value < 0 ? "-" : "";
  return hours > 0 ? `${sign}${hours}h ${minutes}m` : `${sign}${minutes}m ${seconds}s`;
}

/** A ratio as a percentage: 0 → "0%", 0.01234 → "1.23%", 0.5 → "50%", 1 → "100%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (!isNumber(ratio)) return DASH;
  const pct = ratio * 100;
  if (pct === 0) return "0%";
  if (Math.abs(pct) < 0.01) return "<0.01%";
  const digits = Math.abs(pct) >= 10 ? 1 : 2;
  return `${pct.toFixed(digits).replace(/\.?0+$/, "")}%`;
}

export type Unit = "count" | "tokens" | "usd" | "ms" | "percent";

/** The formatter panels use for a unit. */
export function formatValue(unit: Unit, value: number | null | undefined): string {
  switch (unit) {
    case "count":
      return isNumber(value) && Math.abs(value) >= 10_000 ? formatCompact(value) : formatCount(value);
    case "tokens":
      return formatTokens(value);
    case "usd":
      return formatUsd(value);
    case "ms":
      return formatMs(value);
    case "percent":
      return formatPercent(value);
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** A timestamp in the browser's zone, to the millisecond: "2025-01-31 12:00:00.123". */
export function formatTimestamp(iso: string | Date | null | undefined): string {
  if (!iso) return DASH;
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return DASH;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** A short date and time: "2025-01-31 12:00". */
export function formatDateTime(iso: string | Date | null | undefined): string {
  const full = formatTimestamp(iso);
  return full === DASH ? DASH : full.slice(0, 16);
}

/** How long ago: "just now", "5 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return DASH;
  const seconds = Math.round((now.getTime() - then) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}
