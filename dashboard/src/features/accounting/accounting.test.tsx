/** The data-health view as a user meets it: the verdict, the four figures, freshness, lag and the reasons. */
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockApi } from "../../test/api-mock";
import { me } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import type { Accounting } from "../../types/api";
import { formatAge, verdict, waitingRecords } from "./accounting";

const path = "/api/v1/projects/prj_1/accounting";

function accounting(overrides: Partial<Accounting> = {}): Accounting {
  return {
    projectId: "prj_1",
    start: "2025-01-30T12:00:00Z",
    end: "2025-01-31T12:01:00Z",
    accepted: 1200,
    stored: 1195,
    deadLettered: 5,
    deadLetteredRecords: 2,
    undecodedRecords: 0,
    missing: 0,
    freshness: { newestStoredAt: "2025-01-31T11:59:48Z", ageSeconds: 12.4 },
    lag: [
      { stage: "enrich", group: "lynex-streams", topic: "lynex.events.raw", records: 0, partition: 1, partitionRecords: 0 },
      { stage: "sink", group: "lynex-sink", topic: "lynex.events.enriched", records: 7, partition: 1, partitionRecords: 0 },
      { stage: "dead_letter_log", group: "lynex-dead-letter-log", topic: "lynex.events.dlq", records: 0, partition: 1, partitionRecords: 0 },
    ],
    reasons: [
      { stage: "enrich", error: "ValidationError: Expected `str`, got `int` - at `$.events[0].body.model`", records: 1, events: 4, undecoded: 0, lastAt: "2025-01-31T11:00:00Z", affectsStorage: true },
      { stage: "sink", error: "clickhouse refused the row: Code: 27", records: 1, events: 1, undecoded: 0, lastAt: "2025-01-31T11:30:00Z", affectsStorage: true },
      { stage: "aggregate", error: "window state too large", records: 3, events: 9, undecoded: 0, lastAt: "2025-01-31T10:00:00Z", affectsStorage: false },
    ],
    asOf: "2025-01-31T12:00:00Z",
    ...overrides,
  };
}

const lagOf = (records: (number | null)[]): Accounting["lag"] =>
  records.map((r, i) => ({ stage: `s${i}`, group: `g${i}`, topic: `t${i}`, records: r, error: r === null ? "Kafka unreachable (TimeoutError)" : null }));

describe("the verdict", () => {
  it("says nothing is missing only when every accepted event was stored", () => {
    const v = verdict(accounting({ stored: 1200, deadLettered: 0, deadLetteredRecords: 0, reasons: [] }));
    expect(v).toEqual({ tone: "ok", title: "Nothing missing", detail: "Every accepted event was stored (1,200 events)." });
  });

  it("accounts for dead-lettered events without calling them missing", () => {
    const v = verdict(accounting());
    expect(v.tone).toBe("warn");
    expect(v.title).toBe("Nothing unaccounted for");
    expect(v.detail).toBe("1,195 events stored; 5 events dead-lettered, with the reasons below.");
  });

  it("calls a gap with records waiting 'not stored yet', and one with nothing waiting 'missing'", () => {
    const gap = { stored: 1190, missing: 5 };
    const waiting = verdict(accounting({ ...gap, lag: lagOf([3, 0]) }));
    expect(waiting).toMatchObject({ tone: "warn", title: "5 events not stored yet" });
    expect(waiting.detail).toContain("3 record(s) are waiting");
    const lost = verdict(accounting({ ...gap, lag: lagOf([0, 0]) }));
    expect(lost).toMatchObject({ tone: "bad", title: "5 events missing" });
    const unknown = verdict(accounting({ ...gap, lag: lagOf([0, null]) }));
    expect(unknown).toMatchObject({ tone: "warn", title: "5 events not stored yet" });
    expect(unknown.detail).toContain("lag is unknown");
  });

  it("counts records that did not decode apart: their events are unknown", () => {
    const v = verdict(accounting({ stored: 1200, deadLettered: 0, deadLetteredRecords: 2, undecodedRecords: 2 }));
    expect(v).toEqual({
      tone: "warn",
      title: "Nothing unaccounted for",
      detail:
        "Every accepted event was stored (1,200 events). 2 dead-lettered record(s) could not be decoded, so the events in them (if any) are not counted; see the reasons below.",
    });
  });

  it("explains a negative gap and undecodable records", () => {
    const v = verdict(accounting({ stored: 1201, deadLettered: 0, missing: -1, undecodedRecords: 2 }));
    expect(v.title).toBe("1 event more stored or dead-lettered than accepted");
    expect(v.detail).toContain("2 dead-lettered record(s) could not be decoded");
  });

  it("sums the lag where the project's records wait, unknown if any stage is unknown", () => {
    expect(waitingRecords(accounting())).toBe(0); // 7 waiting in the sink's topic, none in this project's partition
    expect(waitingRecords(accounting({ lag: lagOf([2, 5, 0]) }))).toBe(7); // no partition figures: whole topics
    expect(waitingRecords(accounting({ lag: lagOf([2, null]) }))).toBeNull();
  });

  it("formats the age of the newest event", () => {
    expect([formatAge(null), formatAge(12.4), formatAge(150), formatAge(7200), formatAge(200_000)]).toEqual(["—", "12 s", "3 min", "2 h", "2 d"]);
  });
});

describe("the data health page", () => {
  it("shows the figures, freshness, lag and reasons for the selected range", async () => {
    const api = mockApi({ "GET /api/v1/auth/me": () => me, [`GET ${path}`]: () => accounting() });
    renderApp("/projects/prj_1/accounting?range=1h");
    expect(await screen.findByTestId("figure-accepted")).toHaveTextContent("1,200");
    expect(screen.getByTestId("figure-stored")).toHaveTextContent("1,195");
    expect(screen.getByTestId("figure-dead-lettered")).toHaveTextContent("5");
    expect(screen.getByTestId("figure-missing")).toHaveTextContent("0");
    expect(screen.getByTestId("verdict")).toHaveTextContent("Nothing unaccounted for");
    expect(screen.getByTestId("freshness-age")).toHaveTextContent("12 s old");
    const lag = screen.getByRole("region", { name: /Pipeline lag/ });
    expect(within(lag).getByRole("row", { name: /Sink \(enriched → ClickHouse\) lynex-sink 0 \(#1\) 7/ })).toBeInTheDocument();
    const reasons = screen.getByRole("region", { name: /Dead-letter reasons/ });
    const rows = within(reasons).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/^enrich.*ValidationError.*\$\.events\[0\]\.body\.model/),
      expect.stringMatching(/^sink.*clickhouse refused the row/),
      expect.stringMatching(/^aggregate\(alerts only: stored anyway\)window state too large/),
    ]);
    // The range the user picked is the range asked for: one hour, ending now.
    const [call] = api.callsTo("GET", path);
    const span = Date.parse(call!.query.get("to")!) - Date.parse(call!.query.get("from")!);
    expect(span).toBe(3_600_000);
    expect(screen.getByRole("link", { name: "Data health" })).toHaveAttribute("aria-current", "page");
  });

  it("says so when a project has nothing stored and nothing dead-lettered", async () => {
    mockApi({
      "GET /api/v1/auth/me": () => me,
      [`GET ${path}`]: () =>
        accounting({ accepted: 0, stored: 0, deadLettered: 0, deadLetteredRecords: 0, reasons: [], freshness: { newestStoredAt: null, ageSeconds: null } }),
    });
    renderApp("/projects/prj_1/accounting");
    expect(await screen.findByTestId("verdict")).toHaveTextContent("Nothing missing");
    expect(screen.getByTestId("freshness-age")).toHaveTextContent("—");
    expect(screen.getByText("No event of this project is stored yet.")).toBeInTheDocument();
    expect(screen.getByText("No record of this project was dead-lettered in this range.")).toBeInTheDocument();
  });

  it("shows a failed read with a retry", async () => {
    let calls = 0;
    mockApi({
      "GET /api/v1/auth/me": () => me,
      [`GET ${path}`]: () => (++calls === 1 ? json(503, { error: "unavailable", message: "ClickHouse unavailable" }) : accounting()),
    });
    renderApp("/projects/prj_1/accounting");
    expect(await screen.findByRole("alert")).toHaveTextContent("ClickHouse unavailable");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("figure-accepted")).toHaveTextContent("1,200");
  });
});
