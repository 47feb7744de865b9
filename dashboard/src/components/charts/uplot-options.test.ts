import { describe, expect, it } from "vitest";
import type uPlot from "uplot";
import { toChartData } from "./chart-data";
import { buildOptions, tooltipPlugin } from "./uplot-options";

const theme = { axis: "#999", grid: "#333" };

describe("buildOptions", () => {
  const data = toChartData([
    { projectId: "p", metric: "cost", interval: "minute", from: "", to: "", timestamps: ["2025-01-31T12:00:00Z"], series: [{ name: "costUsd", values: [0.5] }] },
  ]);

  it("formats the y axis in the panel's unit and starts it at zero", () => {
    const options = buildOptions({ data, unit: "usd", width: 400, height: 200, theme });
    const yAxis = options.axes![1]!;
    const values = yAxis.values as (u: uPlot, splits: number[]) => string[];
    expect(values({} as uPlot, [0, 0.25, 0.5])).toEqual(["$0.00", "$0.25", "$0.50"]);
    const range = options.scales!.y!.range as (u: uPlot, min: number, max: number) => [number, number];
    expect(range({} as uPlot, 0.1, 0.5)[0]).toBe(0);
    expect(range({} as uPlot, 0, 0)).toEqual([0, 1]);
    expect(options.series[1]).toMatchObject({ label: "Cost", stroke: "#f2cc0c" });
  });

  it("enables drag-to-zoom only when the panel can zoom", () => {
    expect(buildOptions({ data, unit: "usd", width: 400, height: 200, theme }).cursor!.drag!.x).toBe(false);
    expect(buildOptions({ data, unit: "usd", width: 400, height: 200, theme, onZoom: () => {} }).cursor!.drag!.x).toBe(true);
  });
});

describe("tooltipPlugin", () => {
  it("shows the time and each visible series' value, with labels as text (never HTML)", () => {
    const over = document.createElement("div");
    const u = {
      over,
      data: [[1738324800], [1234], [5]],
      series: [{}, { label: "<img src=x onerror=alert(1)>", stroke: "#fff", show: true }, { label: "hidden", stroke: "#000", show: false }],
      cursor: { idx: 0, left: 10, top: 10 },
    } as unknown as uPlot;
    const plugin = tooltipPlugin("count");
    (plugin.hooks.init as (u: uPlot) => void)(u);
    (plugin.hooks.setCursor as (u: uPlot) => void)(u);
    const tip = over.querySelector(".lynex-chart-tooltip") as HTMLElement;
    expect(tip.style.display).toBe("block");
    expect(tip.querySelector("img")).toBeNull();
    expect(tip.textContent).toContain("2025-01-31 12:00");
    expect(tip.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(tip.textContent).toContain("1,234");
    expect(tip.textContent).not.toContain("hidden");
    (u as unknown as { cursor: { idx: null } }).cursor.idx = null;
    (plugin.hooks.setCursor as (u: uPlot) => void)(u);
    expect(tip.style.display).toBe("none");
  });
});
