/**
 * The dashboard's time range and auto-refresh, read from and written to the URL. A shared `now` anchors
 * every relative range, so all panels of a page ask for the same window; auto-refresh moves it forward.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import {
  chooseInterval,
  parseRange,
  parseRefresh,
  refreshApplies,
  refreshMs,
  resolveRange,
  writeRange,
  type RangeSpec,
  type Refresh,
  type ResolvedRange,
} from "../lib/time-range";
import type { Interval } from "../types/api";

interface TimeState {
  spec: RangeSpec;
  refresh: Refresh;
  range: ResolvedRange;
  /** ISO strings of `range`, for query keys and the API. */
  from: string;
  to: string;
  interval: Interval;
  setRange: (spec: RangeSpec) => void;
  setRefresh: (refresh: Refresh) => void;
  /** Re-evaluate a relative range at the current time (the refresh button). */
  refreshNow: () => void;
  /** When the window was last evaluated. */
  now: Date;
}

const TimeContext = createContext<TimeState | null>(null);

export function TimeRangeProvider({ children }: { children: ReactNode }) {
  const [params, setParams] = useSearchParams();
  const spec = parseRange(params);
  const refresh = parseRefresh(params.get("refresh"));
  const specKey = spec.kind === "preset" ? spec.preset : `${spec.from.toISOString()}/${spec.to.toISOString()}`;
  const [anchor, setAnchor] = useState(() => ({ key: specKey, now: new Date() }));
  // A new range is evaluated at once (state adjusted during render, not in an effect: one fetch, not two).
  if (anchor.key !== specKey) setAnchor({ key: specKey, now: new Date() });
  const now = anchor.now;
  const setNow = useCallback((date: Date) => setAnchor((prev) => ({ key: prev.key, now: date })), []);

  useEffect(() => {
    const ms = refreshMs(refresh);
    if (ms === null || !refreshApplies(spec)) return;
    const timer = setInterval(() => {
      if (!document.hidden) setNow(new Date());
    }, ms);
    return () => clearInterval(timer);
    // `spec` is captured through specKey.
  }, [refresh, specKey, setNow]);

  const setRange = useCallback(
    (next: RangeSpec) => setParams((prev) => writeRange(prev, next), { replace: false }),
    [setParams],
  );
  const setRefresh = useCallback(
    (next: Refresh) =>
      setParams(
        (prev) => {
          const out = new URLSearchParams(prev);
          if (next === "off") out.delete("refresh");
          else out.set("refresh", next);
          return out;
        },
        { replace: true },
      ),
    [setParams],
  );
  const refreshNow = useCallback(() => setNow(new Date()), [setNow]);

  const value = useMemo<TimeState>(() => {
    const range = resolveRange(spec, now);
    return {
      spec,
      refresh,
      range,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      interval: chooseInterval(range),
      setRange,
      setRefresh,
      refreshNow,
      now,
    };
    // `spec` is a fresh object every render; its identity is specKey.
  }, [specKey, refresh, now, setRange, setRefresh, refreshNow]);

  return <TimeContext.Provider value={value}>{children}</TimeContext.Provider>;
}

export function useTimeRange(): TimeState {
  const value = useContext(TimeContext);
  if (!value) throw new Error("useTimeRange outside TimeRangeProvider");
  return value;
}

/** Search parameters that travel with navigation between pages (Grafana keeps the range too). */
export const SHARED_PARAMS = ["range", "from", "to", "refresh"] as const;

export function sharedSearch(params: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const name of SHARED_PARAMS) {
    const value = params.get(name);
    if (value) out.set(name, value);
  }
  const qs = out.toString();
  return qs ? `?${qs}` : "";
}
