import { describe, expect, it } from "vitest";
import {
  chooseInterval,
  describeRange,
  fromLocalInput,
  parseRange,
  parseRefresh,
  refreshApplies,
  refreshMs,
  resolveRange,
  toLocalInput,
  validateCustomRange,
  writeRange,
} from "./time-range";

const now = new Date("2025-01-31T12:00:00Z");
const params = (qs: string) => new URLSearchParams(qs);

describe("parseRange", () => {
  it("reads a preset", () => {
    expect(parseRange(params("range=1h"))).toEqual({ kind: "preset", preset: "1h" });
  });
  it("falls back to the last 24 hours when missing or unknown", () => {
    expect(parseRange(params(""))).toEqual({ kind: "preset", preset: "24h" });
    expect(parseRange(params("range=2y"))).toEqual({ kind: "preset", preset: "24h" });
  });
  it("prefers a valid custom range", () => {
    const spec = parseRange(params("range=1h&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z"));
    expect(spec).toEqual({ kind: "custom", from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-02T00:00:00Z") });
  });
  it("ignores a backwards or malformed custom range", () => {
    expect(parseRange(params("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z&range=7d"))).toEqual({ kind: "preset", preset: "7d" });
    expect(parseRange(params("from=yesterday&to=today"))).toEqual({ kind: "preset", preset: "24h" });
  });
});

describe("writeRange", () => {
  it("round-trips and keeps other parameters", () => {
    const custom = { kind: "custom" as const, from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-02T00:00:00Z") };
    const written = writeRange(params("range=1h&model=gpt-4o&refresh=5s"), custom);
    expect(written.get("range")).toBeNull();
    expect(written.get("model")).toBe("gpt-4o");
    expect(parseRange(written)).toEqual(custom);
    const back = writeRange(written, { kind: "preset", preset: "7d" });
    expect(back.get("from")).toBeNull();
    expect(back.get("to")).toBeNull();
    expect(parseRange(back)).toEqual({ kind: "preset", preset: "7d" });
  });
});

describe("resolveRange", () => {
  it.each([
    ["15m", 15 * 60_000],
    ["1h", 3_600_000],
    ["6h", 6 * 3_600_000],
    ["24h", 86_400_000],
    ["7d", 7 * 86_400_000],
    ["30d", 30 * 86_400_000],
  ] as const)("%s ends now and spans its duration", (preset, ms) => {
    const r = resolveRange({ kind: "preset", preset }, now);
    expect(r.to).toEqual(now);
    expect(r.to.getTime() - r.from.getTime()).toBe(ms);
  });
  it("keeps a custom range fixed", () => {
    const from = new Date("2025-01-01T00:00:00Z");
    const to = new Date("2025-01-01T06:00:00Z");
    expect(resolveRange({ kind: "custom", from, to }, now)).toEqual({ from, to });
  });
});

describe("chooseInterval", () => {
  const span = (ms: number) => ({ from: new Date(now.getTime() - ms), to: now });
  it("uses minutes up to a day, hours up to two months, days beyond — never over the server's 2000 points", () => {
    expect(chooseInterval(span(15 * 60_000))).toBe("minute");
    expect(chooseInterval(span(86_400_000))).toBe("minute");
    expect(chooseInterval(span(7 * 86_400_000))).toBe("hour");
    expect(chooseInterval(span(30 * 86_400_000))).toBe("hour");
    expect(chooseInterval(span(90 * 86_400_000))).toBe("day");
  });
});

describe("refresh", () => {
  it("parses the URL value and defaults to off", () => {
    expect(parseRefresh("30s")).toBe("30s");
    expect(parseRefresh("2s")).toBe("off");
    expect(parseRefresh(null)).toBe("off");
    expect(refreshMs("5s")).toBe(5000);
    expect(refreshMs("1m")).toBe(60_000);
    expect(refreshMs("off")).toBeNull();
  });
  it("applies only to ranges that end now", () => {
    expect(refreshApplies({ kind: "preset", preset: "1h" })).toBe(true);
    expect(refreshApplies({ kind: "custom", from: new Date(0), to: now })).toBe(false);
  });
});

describe("custom range input", () => {
  it("round-trips a datetime-local value (browser zone)", () => {
    expect(toLocalInput(new Date("2025-01-31T09:05:00Z"))).toBe("2025-01-31T09:05");
    expect(fromLocalInput("2025-01-31T09:05")).toEqual(new Date("2025-01-31T09:05:00Z"));
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("31/01/2025")).toBeNull();
  });
  it("validates", () => {
    expect(validateCustomRange(null, now)).toMatch(/both/);
    expect(validateCustomRange(now, now)).toMatch(/before/);
    expect(validateCustomRange(new Date("2010-01-01T00:00:00Z"), now)).toMatch(/five years/);
    expect(validateCustomRange(new Date("2025-01-01T00:00:00Z"), now)).toBeNull();
  });
  it("describes ranges", () => {
    expect(describeRange({ kind: "preset", preset: "6h" })).toBe("Last 6 hours");
    expect(describeRange({ kind: "custom", from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-02T06:30:00Z") })).toBe(
      "2025-01-01 00:00 → 2025-01-02 06:30",
    );
  });
});
