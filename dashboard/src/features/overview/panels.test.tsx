import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { ThemeProvider } from "../../app/theme";
import { ApiError } from "../../lib/api-client";
import { models, overview, series } from "../../test/fixtures";
import { instances } from "../../test/fake-uplot";
import { ModelBreakdownPanel } from "./ModelBreakdownPanel";
import { STAT_PANELS, TIME_SERIES_PANELS } from "./panels";
import { StatRow } from "./StatPanels";
import { TimeSeriesPanelView } from "./TimeSeriesPanel";

const requestsPanel = TIME_SERIES_PANELS.find((p) => p.id === "requests")!;
const latencyPanel = TIME_SERIES_PANELS.find((p) => p.id === "latency")!;

describe("the panel registry", () => {
  it("has the stat and time-series panels the overview needs, with unique ids", () => {
    expect(STAT_PANELS.map((p) => p.id)).toEqual(["requests-today", "requests-7d", "requests-30d", "error-rate", "input-tokens", "output-tokens", "cost"]);
    expect(TIME_SERIES_PANELS.map((p) => p.queries.map((q) => q.metric))).toEqual([["requests", "errors"], ["latency"], ["tokens"], ["cost"], ["requests"]]);
    expect(new Set(STAT_PANELS.map((p) => p.id)).size).toBe(STAT_PANELS.length);
    expect(new Set(TIME_SERIES_PANELS.map((p) => p.id)).size).toBe(TIME_SERIES_PANELS.length);
  });
});

describe("StatRow", () => {
  const props = { defs: STAT_PANELS, error: null, onRetry: () => {}, rangeLabel: "Last 24 hours" };

  it("formats every number for its unit", () => {
    render(<StatRow {...props} overview={overview} loading={false} />);
    expect(screen.getByTestId("stat-requests-today")).toHaveTextContent("1,234");
    expect(screen.getByTestId("stat-requests-7d")).toHaveTextContent("45.7K");
    expect(screen.getByTestId("stat-requests-30d")).toHaveTextContent("1.23M");
    expect(screen.getByTestId("stat-error-rate")).toHaveTextContent("2.5%");
    expect(screen.getByTestId("stat-input-tokens")).toHaveTextContent("123K");
    expect(screen.getByTestId("stat-output-tokens")).toHaveTextContent("7.89K");
    expect(screen.getByTestId("stat-cost")).toHaveTextContent("$12.35");
    // The exact count is one hover away.
    expect(screen.getByTestId("stat-input-tokens")).toHaveAttribute("title", "123,456");
  });

  it("draws a non-zero error rate in the alarm colour, zero in the normal one", () => {
    const { rerender } = render(<StatRow {...props} overview={overview} loading={false} />);
    expect(screen.getByTestId("stat-error-rate")).toHaveClass("text-bad");
    rerender(<StatRow {...props} overview={{ ...overview, errorRate: 0 }} loading={false} />);
    expect(screen.getByTestId("stat-error-rate")).not.toHaveClass("text-bad");
  });

  it("shows placeholders while loading", () => {
    render(<StatRow {...props} overview={undefined} loading={true} />);
    expect(screen.getAllByLabelText("Loading")).toHaveLength(STAT_PANELS.length);
  });

  it("shows the error with a retry button", async () => {
    const onRetry = vi.fn();
    render(<StatRow {...props} overview={undefined} loading={false} error={new ApiError(503, "unavailable", "ClickHouse unavailable")} onRetry={onRetry} />);
    expect(screen.getByRole("alert")).toHaveTextContent("ClickHouse unavailable");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});

function renderPanel(ui: React.ReactElement) {
  return render(<ThemeProvider>{ui}</ThemeProvider>);
}

describe("TimeSeriesPanelView", () => {
  const base = { isPending: false, isFetching: false, error: null, onRetry: () => {} };
  const data = [series("requests", [{ name: "requests", values: [3, 5, 2] }]), series("errors", [{ name: "errors", values: [0, 1, 0] }])];

  it("draws the series and a legend with their totals", () => {
    instances.length = 0;
    renderPanel(<TimeSeriesPanelView {...base} def={requestsPanel} data={data} />);
    expect(screen.getByRole("heading", { name: "Requests and errors" })).toBeInTheDocument();
    const legend = screen.getByRole("figure", { name: "Requests and errors" });
    expect(within(legend).getByRole("button", { name: /Requests 10/ })).toHaveAttribute("aria-pressed", "true");
    expect(within(legend).getByRole("button", { name: /Errors 1/ })).toBeInTheDocument();
    const plot = instances.at(-1)!;
    expect(plot.data).toEqual([[1738324680, 1738324740, 1738324800], [3, 5, 2], [0, 1, 0]]);
    expect(plot.options.series.slice(1).map((s) => s.label)).toEqual(["Requests", "Errors"]);
  });

  it("hides and shows a series from the legend, by mouse or keyboard", async () => {
    instances.length = 0;
    renderPanel(<TimeSeriesPanelView {...base} def={requestsPanel} data={data} />);
    const errors = screen.getByRole("button", { name: /Errors/ });
    await userEvent.click(errors);
    expect(errors).toHaveAttribute("aria-pressed", "false");
    expect(instances.at(-1)!.shown[2]).toBe(false);
    errors.focus();
    await userEvent.keyboard("{Enter}");
    expect(instances.at(-1)!.shown[2]).toBe(true);
  });

  it("legends latency by its max, formatted in ms", () => {
    renderPanel(<TimeSeriesPanelView {...base} def={latencyPanel} data={[series("latency", [{ name: "p95", values: [120, null, 1500] }])]} />);
    expect(screen.getByRole("button", { name: /p95 max 1.5 s/ })).toBeInTheDocument();
  });

  it("updates the same plot when new data arrives (auto-refresh), without re-creating it", () => {
    instances.length = 0;
    const { rerender } = renderPanel(<TimeSeriesPanelView {...base} def={requestsPanel} data={data} />);
    const next = [series("requests", [{ name: "requests", values: [4, 5, 6] }]), series("errors", [{ name: "errors", values: [0, 0, 0] }])];
    rerender(<ThemeProvider><TimeSeriesPanelView {...base} def={requestsPanel} data={next} /></ThemeProvider>);
    expect(instances.filter((p) => !p.destroyed)).toHaveLength(1);
    expect(instances.at(-1)!.data[1]).toEqual([4, 5, 6]);
  });

  it("has loading, empty and error states", async () => {
    const { rerender } = renderPanel(<TimeSeriesPanelView {...base} def={requestsPanel} data={undefined} isPending={true} />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    rerender(<ThemeProvider><TimeSeriesPanelView {...base} def={requestsPanel} data={[series("requests", [{ name: "requests", values: [0, 0, 0] }])]} /></ThemeProvider>);
    expect(screen.getByText("No data in this time range")).toBeInTheDocument();
    const onRetry = vi.fn();
    rerender(<ThemeProvider><TimeSeriesPanelView {...base} def={requestsPanel} data={undefined} error={new ApiError(422, "invalid_parameter", "interval: too many points")} onRetry={onRetry} /></ThemeProvider>);
    expect(screen.getByRole("alert")).toHaveTextContent("interval: too many points");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalled();
  });

  it("turns a drag-selection into a zoom", () => {
    instances.length = 0;
    const onZoom = vi.fn();
    renderPanel(<TimeSeriesPanelView {...base} def={requestsPanel} data={data} onZoom={onZoom} />);
    const plot = instances.at(-1)!;
    const fakeU = {
      select: { left: 10, width: 100, top: 0, height: 0 },
      posToVal: (px: number) => (px === 10 ? 1738324680 : 1738324800),
      setSelect: vi.fn(),
    };
    plot.options.hooks!.setSelect![0]!(fakeU as never);
    expect(onZoom).toHaveBeenCalledWith(new Date("2025-01-31T11:58:00Z"), new Date("2025-01-31T12:00:00Z"));
  });
});

describe("ModelBreakdownPanel", () => {
  const href = (m: string) => `/projects/prj_1/events?model=${encodeURIComponent(m)}`;
  it("lists each model with formatted numbers and a link to its events", () => {
    render(
      <MemoryRouter>
        <ModelBreakdownPanel data={models} isPending={false} error={null} onRetry={() => {}} eventsHref={href} />
      </MemoryRouter>,
    );
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    const cells = within(rows[1]!).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(["100", "5 (5%)", "23.5K", "2.89K", "$12.33", "700 ms", "1.8 s", "—"]);
    expect(within(rows[0]!).getByRole("link", { name: "gpt-4o-mini" })).toHaveAttribute("href", "/projects/prj_1/events?model=gpt-4o-mini");
  });
  it("says when there were no calls", () => {
    render(
      <MemoryRouter>
        <ModelBreakdownPanel data={{ ...models, models: [] }} isPending={false} error={null} onRetry={() => {}} eventsHref={href} />
      </MemoryRouter>,
    );
    expect(screen.getByText("No LLM calls in this time range")).toBeInTheDocument();
  });
});
