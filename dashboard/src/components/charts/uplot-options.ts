/** uPlot options for a Lynex time-series panel: themed axes, unit-aware ticks, a DOM tooltip, drag to zoom. */
import uPlot from "uplot";
import { formatDateTime, formatValue, type Unit } from "../../lib/format";
import type { ChartData } from "./chart-data";

export interface ChartTheme {
  axis: string;
  grid: string;
}

export function readChartTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  return {
    axis: style.getPropertyValue("--chart-axis").trim() || "#9fa7b3",
    grid: style.getPropertyValue("--chart-grid").trim() || "rgba(128,128,128,0.2)",
  };
}

/** Hover tooltip: time and every visible series' value, built with textContent (labels are user data). */
export function tooltipPlugin(unit: Unit): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  const hide = () => {
    if (tip) tip.style.display = "none";
  };
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement("div");
        tip.className = "lynex-chart-tooltip";
        tip.setAttribute("role", "tooltip");
        tip.style.display = "none";
        u.over.appendChild(tip);
        u.over.addEventListener("mouseleave", hide);
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        const left = u.cursor.left ?? -1;
        if (!tip || idx === null || idx === undefined || left < 0) return hide();
        const x = u.data[0][idx];
        if (x === undefined) return hide();
        tip.replaceChildren();
        const head = document.createElement("div");
        head.className = "lynex-chart-tooltip-time";
        head.textContent = formatDateTime(new Date(x * 1000));
        tip.appendChild(head);
        u.series.forEach((series, i) => {
          if (i === 0 || !series.show) return;
          const row = document.createElement("div");
          row.className = "lynex-chart-tooltip-row";
          const swatch = document.createElement("span");
          swatch.className = "lynex-chart-swatch";
          swatch.style.background = String(series.stroke instanceof Function ? "" : series.stroke ?? "");
          const label = document.createElement("span");
          label.textContent = String(series.label ?? "");
          const value = document.createElement("span");
          value.className = "lynex-chart-tooltip-value";
          value.textContent = formatValue(unit, u.data[i]?.[idx] ?? null);
          row.append(swatch, label, value);
          tip!.appendChild(row);
        });
        tip.style.display = "block";
        const top = u.cursor.top ?? 0;
        const width = tip.offsetWidth;
        const flip = left + width + 16 > u.over.clientWidth;
        tip.style.left = `${flip ? left - width - 12 : left + 12}px`;
        tip.style.top = `${Math.max(0, top - 12)}px`;
      },
    },
  };
}

export interface OptionsInput {
  data: ChartData;
  unit: Unit;
  width: number;
  height: number;
  theme: ChartTheme;
  onZoom?: ((from: Date, to: Date) => void) | undefined;
}

export function buildOptions({ data, unit, width, height, theme, onZoom }: OptionsInput): uPlot.Options {
  const axis = {
    stroke: theme.axis,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    font: "11px ui-sans-serif, system-ui, sans-serif",
  };
  return {
    width,
    height,
    legend: { show: false },
    cursor: {
      points: { size: 6 },
      drag: { x: Boolean(onZoom), y: false, setScale: false },
    },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, max > 0 ? uPlot.rangeNum(0, max, 0.1, true)[1] : 1] },
    },
    series: [
      {},
      ...data.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        fill: `${s.color}1f`,
        points: { show: data.xs.length < 60 },
        spanGaps: false,
      })),
    ],
    axes: [
      { ...axis },
      { ...axis, size: 64, values: (_u: uPlot, splits: number[]) => splits.map((v) => formatValue(unit, v)) },
    ],
    hooks: onZoom
      ? {
          setSelect: [
            (u: uPlot) => {
              if (u.select.width < 4) return;
              const from = u.posToVal(u.select.left, "x");
              const to = u.posToVal(u.select.left + u.select.width, "x");
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              if (to > from) onZoom(new Date(from * 1000), new Date(to * 1000));
            },
          ],
        }
      : {},
    plugins: [tooltipPlugin(unit)],
  };
}

export function toAligned(data: ChartData): uPlot.AlignedData {
  return [data.xs, ...data.series.map((s) => s.values)] as uPlot.AlignedData;
}
