/** A uPlot time-series chart with a clickable legend; re-created when its series or theme change. */
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useTheme } from "../../app/theme";
import { formatValue, type Unit } from "../../lib/format";
import { seriesMax, seriesTotal, type ChartData } from "./chart-data";
import { buildOptions, readChartTheme, toAligned } from "./uplot-options";

interface Props {
  data: ChartData;
  unit: Unit;
  label: string;
  height?: number;
  /** Legends sum counts, tokens and cost; for latency the max says more. */
  legendStat?: "total" | "max";
  onZoom?: (from: Date, to: Date) => void;
}

export function TimeSeriesChart({ data, unit, label, height = 220, legendStat = "total", onZoom }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [width, setWidth] = useState(0);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const { theme } = useTheme();
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const shape = data.series.map((s) => `${s.key}|${s.color}`).join(",");

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      setWidth((prev) => (Math.abs(prev - w) >= 1 ? w : prev));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Create the plot when the set of series, the unit or the theme changes; data updates reuse it.
  useEffect(() => {
    const el = container.current;
    if (!el || width === 0) return;
    const options = buildOptions({
      data,
      unit,
      width,
      height,
      theme: readChartTheme(),
      onZoom: onZoom ? (from, to) => zoomRef.current?.(from, to) : undefined,
    });
    const u = new uPlot(options, toAligned(data), el);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
    // Not on `data` or `width`: new data goes through setData, a new width through setSize.
  }, [shape, unit, theme, height, Boolean(onZoom), width > 0]);

  useEffect(() => {
    plot.current?.setData(toAligned(data));
  }, [data]);

  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width, height });
  }, [width, height]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    data.series.forEach((s, i) => u.setSeries(i + 1, { show: !hidden.has(s.key) }));
  }, [hidden, data.series, shape, theme]);

  const legend = useMemo(
    () =>
      data.series.map((s) => ({
        ...s,
        stat: legendStat === "max" ? seriesMax(s.values) : seriesTotal(s.values),
      })),
    [data.series, legendStat],
  );

  return (
    <figure className="m-0" aria-label={label}>
      <div ref={container} className="lynex-chart w-full" style={{ minHeight: height }} />
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs">
        {legend.map((s) => {
          const off = hidden.has(s.key);
          return (
            <button
              key={s.key}
              type="button"
              aria-pressed={!off}
              title={off ? `Show ${s.label}` : `Hide ${s.label}`}
              className={`flex items-center gap-1.5 rounded px-1 py-0.5 hover:bg-hover focus-visible:outline-2 focus-visible:outline-accent ${off ? "opacity-40" : ""}`}
              onClick={() =>
                setHidden((prev) => {
                  const next = new Set(prev);
                  if (next.has(s.key)) next.delete(s.key);
                  else next.add(s.key);
                  return next;
                })
              }
            >
              <span className="inline-block h-0.5 w-3 rounded" style={{ background: s.color }} />
              <span className="text-fg">{s.label}</span>{" "}
              <span className="text-muted tabular-nums">
                {legendStat === "max" ? "max " : ""}
                {formatValue(unit, s.stat)}
              </span>
            </button>
          );
        })}
      </figcaption>
    </figure>
  );
}
