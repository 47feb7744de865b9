import { describe, expect, it } from "vitest";
import { formatCompact, formatCount, formatDateTime, formatMs, formatPercent, formatRelative, formatTimestamp, formatTokens, formatUsd, formatValue } from "./format";

describe("formatCount", () => {
  it("groups thousands", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1234567)).toBe("1,234,567");
  });
  it("shows a dash for missing values", () => {
    expect(formatCount(null)).toBe("—");
    expect(formatCount(undefined)).toBe("—");
    expect(formatCount(Number.NaN)).toBe("—");
  });
});

describe("formatCompact / formatTokens", () => {
  it.each([
    [0, "0"],
    [950, "950"],
    [1000, "1K"],
    [1234, "1.23K"],
    [12_345, "12.3K"],
    [123_456, "123K"],
    [4_560_000, "4.56M"],
    [1_000_000_000, "1B"],
    [2.5e12, "2.5T"],
    [-12_345, "-12.3K"],
    [0.5, "0.5"],
  ])("%d → %s", (value, text) => {
    expect(formatCompact(value)).toBe(text);
  });
  it("never says 1000K: rounding carries into the next suffix", () => {
    expect(formatTokens(999_950)).toBe("1M");
    expect(formatTokens(999_499)).toBe("999K");
  });
});

describe("formatUsd", () => {
  it.each([
    [0, "$0.00"],
    [1, "$1.00"],
    [12.3456, "$12.35"],
    [12_345.6, "$12,345.60"],
    [0.5, "$0.50"],
    [0.1234, "$0.1234"],
    [0.01, "$0.01"],
    [0.00042, "$0.00042"],
    [0.0000123, "$0.000012"],
    [-3.5, "-$3.50"],
  ])("%d → %s", (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });
  it("dashes null", () => expect(formatUsd(null)).toBe("—"));
});

describe("formatMs", () => {
  it.each([
    [0.4, "0.4 ms"],
    [0, "0 ms"],
    [350, "350 ms"],
    [412.5, "413 ms"],
    [1250, "1.25 s"],
    [2000, "2 s"],
    [125_000, "2m 5s"],
    [3_725_000, "1h 2m"],
  ])("%d → %s", (value, text) => {
    expect(formatMs(value)).toBe(text);
  });
  it("dashes null (a bucket without calls)", () => expect(formatMs(null)).toBe("—"));
});

describe("formatPercent", () => {
  it.each([
    [0, "0%"],
    [0.01234, "1.23%"],
    [0.5, "50%"],
    [1, "100%"],
    [0.00001, "<0.01%"],
    [0.1234, "12.3%"],
  ])("%d → %s", (value, text) => {
    expect(formatPercent(value)).toBe(text);
  });
});

describe("formatValue", () => {
  it("picks the formatter of the unit", () => {
    expect(formatValue("usd", 0.5)).toBe("$0.50");
    expect(formatValue("ms", 1500)).toBe("1.5 s");
    expect(formatValue("tokens", 12_345)).toBe("12.3K");
    expect(formatValue("percent", 0.25)).toBe("25%");
    expect(formatValue("count", 1234)).toBe("1,234");
    expect(formatValue("count", 123_456)).toBe("123K");
  });
});

describe("timestamps (TZ=UTC in tests)", () => {
  it("formats to the millisecond in the browser's zone", () => {
    expect(formatTimestamp("2025-01-31T12:00:01.234Z")).toBe("2025-01-31 12:00:01.234");
    expect(formatDateTime("2025-01-31T12:00:01.234Z")).toBe("2025-01-31 12:00");
    expect(formatTimestamp("not a date")).toBe("—");
    expect(formatTimestamp(null)).toBe("—");
  });
  it("says how long ago", () => {
    const now = new Date("2025-01-31T12:00:00Z");
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("2025-01-31T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2025-01-31T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2025-01-31T09:00:00Z", now)).toBe("3 h ago");
    expect(formatRelative("2025-01-29T12:00:00Z", now)).toBe("2 d ago");
  });
});
