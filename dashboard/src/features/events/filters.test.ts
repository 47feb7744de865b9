import { describe, expect, it } from "vitest";
import { clearFilters, hasFilters, readFilters, readPageSize, writeFilter } from "./filters";

describe("explorer filters in the URL", () => {
  it("reads known values and drops unknown ones", () => {
    expect(readFilters(new URLSearchParams("type=llm_call&status=error&model=gpt-4o"))).toEqual({ type: "llm_call", status: "error", model: "gpt-4o" });
    expect(readFilters(new URLSearchParams("type=bogus&status=maybe&model=%20%20"))).toEqual({ type: null, status: null, model: null });
  });
  it("writing a filter closes the open event and keeps the range", () => {
    const next = writeFilter(new URLSearchParams("range=1h&event=abc"), "model", "gpt-4o");
    expect(next.toString()).toBe("range=1h&model=gpt-4o");
    expect(writeFilter(next, "model", null).toString()).toBe("range=1h");
  });
  it("clears every filter but nothing else", () => {
    expect(clearFilters(new URLSearchParams("range=7d&type=log&model=m&status=ok&limit=100")).toString()).toBe("range=7d&limit=100");
    expect(hasFilters({ type: null, model: null, status: null })).toBe(false);
    expect(hasFilters({ type: null, model: "m", status: null })).toBe(true);
  });
  it("accepts only the offered page sizes", () => {
    expect(readPageSize(new URLSearchParams("limit=100"))).toBe(100);
    expect(readPageSize(new URLSearchParams("limit=100000"))).toBe(50);
    expect(readPageSize(new URLSearchParams(""))).toBe(50);
  });
});
