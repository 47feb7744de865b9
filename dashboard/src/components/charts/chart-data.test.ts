import { describe, expect, it } from "vitest";
import type { TimeSeries } from "../../types/api";
import { isEmptyChart, seriesMax, seriesTotal, toChartData } from "./chart-data";

const ts = (metric: TimeSeries["metric"], timestamps: string[], series: TimeSeries["series"]): TimeSeries => ({
  projectId: "p",
  metric,
  interval: "minute",
  from: timestamps[0] ?? "",
  to: timestamps[timestamps.length - 1] ?? "",
  timestamps,
  series,
});

const T = ["2025-01-31T12:00:00Z", "2025-01-31T12:01:00Z", "2025-01-31T12:02:00Z"];
const secs = T.map((t) => Date.parse(t) / 1000);

describe("toChartData", () => {
  it("puts requests and errors on one time axis, in seconds, with fixed colours and readable labels", () => {
    const data = toChartData([
      ts("requests", T, [{ name: "requests", values: [1, 2, 3] }]),
      ts("errors", T, [{ name: "errors", values: [0, 1, 0] }]),
    ]);
    expect(data.xs).toEqual(secs);
    expect(data.series.map((s) => [s.label, s.values])).toEqual([
      ["Requests", [1, 2, 3]],
      ["Errors", [0, 1, 0]],
    ]);
    expect(data.series[1]!.color).toBe("#f2495c");
    expect(new Set(data.series.map((s) => s.key)).size).toBe(2);
  });

  it("keeps latency gaps as null (no calls is not 0 ms)", () => {
    const data = toChartData([
      ts("latency", T, [
        { name: "p50", values: [100, null, 120] },
        { name: "p99", values: [400, null, 500] },
      ]),
    ]);
    expect(data.series.map((s) => s.label)).toEqual(["p50", "p99"]);
    expect(data.series[0]!.values).toEqual([100, null, 120]);
  });

  it("aligns responses whose buckets differ", () => {
    const data = toChartData([
      ts("requests", T.slice(0, 2), [{ name: "requests", values: [1, 2] }]),
      ts("errors", T.slice(1), [{ name: "errors", values: [5, 6] }]),
    ]);
    expect(data.xs).toEqual(secs);
    expect(data.series[0]!.values).toEqual([1, 2, null]);
    expect(data.series[1]!.values).toEqual([null, 5, 6]);
  });

  it("labels grouped series by model and folds the rest into 'other models'", () => {
    const data = toChartData([
      ts("requests", T, [
        { name: "requests", model: "gpt-4o", values: [1, 1, 1] },
        { name: "requests", model: "claude-3-5-sonnet", values: [2, 2, 2] },
        { name: "requests", model: null, other: true, values: [0, 1, 0] },
      ]),
    ]);
    expect(data.series.map((s) => s.label)).toEqual(["gpt-4o", "claude-3-5-sonnet", "other models"]);
    expect(new Set(data.series.map((s) => s.color)).size).toBe(3);
  });

  it("knows when there is nothing to draw", () => {
    expect(isEmptyChart(toChartData([]))).toBe(true);
    expect(isEmptyChart(toChartData([ts("requests", T, [{ name: "requests", values: [0, 0, 0] }])]))).toBe(true);
    expect(isEmptyChart(toChartData([ts("latency", T, [{ name: "p50", values: [null, null, null] }])]))).toBe(true);
    expect(isEmptyChart(toChartData([ts("requests", T, [{ name: "requests", values: [0, 1, 0] }])]))).toBe(false);
  });

  it("sums and maxes series for legends", () => {
    expect(seriesTotal([1, null, 2.5])).toBe(3.5);
    expect(seriesMax([1, null, 7, 3])).toBe(7);
    expect(seriesMax([null, null])).toBeNull();
  });
});
