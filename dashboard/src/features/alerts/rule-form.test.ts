import { describe, expect, it } from "vitest";
import { describeCondition, emptyForm, formFromRule, formatKindValue, parseChannels, toPatch, toSpec, validateForm, type Rule, type RuleForm } from "./rule-form";

function form(overrides: Partial<RuleForm> = {}): RuleForm {
  return { ...emptyForm(), name: "Errors", threshold: "5", channels: "json://hooks.example.com/x", ...overrides };
}

const stored: Rule = {
  id: "rul_1",
  projectId: "prj_1",
  name: "Errors",
  kind: "error_rate",
  threshold: 5,
  windowMinutes: 10,
  minRequests: 20,
  errorType: "",
  model: "gpt-4o",
  cooldownS: 600,
  enabled: true,
  channels: ["json://hooks.example.com/***"],
  channelsUnreadable: false,
  createdAt: "2025-01-31T12:00:00Z",
  updatedAt: "2025-01-31T12:00:00Z",
};

describe("validateForm", () => {
  it("accepts a complete error-rate rule", () => {
    expect(validateForm(form())).toEqual({});
  });

  it("requires a name, a threshold and a channel", () => {
    const errors = validateForm(form({ name: "  ", threshold: "", channels: "\n \n" }));
    expect(Object.keys(errors).sort()).toEqual(["channels", "name", "threshold"]);
  });

  it("keeps an error rate below 100 percent", () => {
    expect(validateForm(form({ threshold: "100" })).threshold).toMatch(/below 100/);
    expect(validateForm(form({ threshold: "99.5" })).threshold).toBeUndefined();
    expect(validateForm(form({ threshold: "-1" })).threshold).toMatch(/negative/);
  });

  it("needs an error type and a whole count of at least 1 for an error-type rule", () => {
    const errors = validateForm(form({ kind: "error_type", threshold: "0.5" }));
    expect(errors.errorType).toMatch(/required/);
    expect(errors.threshold).toMatch(/whole number/);
    expect(validateForm(form({ kind: "error_type", threshold: "0", errorType: "rate_limit" })).threshold).toMatch(/At least 1/);
    expect(validateForm(form({ kind: "error_type", threshold: "3", errorType: "rate_limit" }))).toEqual({});
  });

  it("allows large thresholds for tokens, cost and latency", () => {
    expect(validateForm(form({ kind: "tokens", threshold: "1000000" }))).toEqual({});
    expect(validateForm(form({ kind: "tokens", threshold: "1.5" })).threshold).toMatch(/whole/);
    expect(validateForm(form({ kind: "cost", threshold: "250.75" }))).toEqual({});
    expect(validateForm(form({ kind: "latency_p95", threshold: "2500" }))).toEqual({});
  });

  it("bounds window, cooldown and minimum requests", () => {
    expect(validateForm(form({ windowMinutes: "61" })).windowMinutes).toMatch(/between 1 and 60/);
    expect(validateForm(form({ windowMinutes: "2.5" })).windowMinutes).toMatch(/whole/);
    expect(validateForm(form({ cooldownS: "0" })).cooldownS).toMatch(/between/);
    expect(validateForm(form({ minRequests: "-3" })).minRequests).toMatch(/between/);
    // Minimum requests is not a field of a cost rule: not validated.
    expect(validateForm(form({ kind: "cost", minRequests: "x" }))).toEqual({});
  });

  it("checks channel URLs and refuses masked ones", () => {
    expect(validateForm(form({ channels: "hooks.example.com" })).channels).toMatch(/Not a channel URL/);
    expect(validateForm(form({ channels: "json://hooks.example.com/***" })).channels).toMatch(/masked/);
    expect(validateForm(form({ channels: Array.from({ length: 11 }, (_, i) => `json://h/${i}`).join("\n") })).channels).toMatch(/At most 10/);
  });

  it("lets an edit keep the existing channels, unless they are unreadable", () => {
    expect(validateForm(form({ channels: "" }), stored)).toEqual({});
    expect(validateForm(form({ channels: "" }), { ...stored, channelsUnreadable: true }).channels).toMatch(/enter them again/);
  });
});

describe("serialisation", () => {
  it("sends only the fields of the kind", () => {
    const spec = toSpec(form({ kind: "cost", threshold: "12.5", minRequests: "50", errorType: "x", model: " gpt-4o ", channels: " json://a/1 \n\n slack://b/c \n" }));
    expect(spec).toEqual({
      name: "Errors",
      kind: "cost",
      threshold: 12.5,
      windowMinutes: 5,
      minRequests: 0,
      errorType: "",
      model: "gpt-4o",
      cooldownS: 300,
      enabled: true,
      channels: ["json://a/1", "slack://b/c"],
    });
    expect(toSpec(form({ kind: "error_type", threshold: "3", errorType: " rate_limit " }))).toMatchObject({ errorType: "rate_limit", minRequests: 0, threshold: 3 });
    expect(toSpec(form({ kind: "latency_p95", threshold: "900", minRequests: "10" }))).toMatchObject({ minRequests: 10, errorType: "" });
  });

  it("never sends masked channels back when editing", () => {
    const edit = formFromRule(stored);
    expect(edit.channels).toBe("");
    const patch = toPatch({ ...edit, threshold: "7" });
    expect(patch).not.toHaveProperty("channels");
    expect(patch).toMatchObject({ threshold: 7, windowMinutes: 10, minRequests: 20, model: "gpt-4o", cooldownS: 600 });
    expect(toPatch({ ...edit, channels: "json://new/1" }).channels).toEqual(["json://new/1"]);
  });

  it("splits channels one per line", () => {
    expect(parseChannels("a://1\r\n  \nb://2")).toEqual(["a://1", "b://2"]);
  });
});

describe("display", () => {
  it("formats values in the kind's unit", () => {
    expect(formatKindValue("error_rate", 12.3456)).toBe("12.35 %");
    expect(formatKindValue("cost", 5)).toBe("$5.00");
    expect(formatKindValue("latency_p95", 1500)).toBe("1.5 s");
    expect(formatKindValue("tokens", 120000)).toBe("120,000");
    expect(describeCondition(stored)).toBe("Error rate > 5 % over 10 min, ≥ 20 requests");
    expect(describeCondition({ ...stored, kind: "error_type", errorType: "rate_limit", threshold: 3 })).toBe("Error type “rate_limit” ≥ 3 over 10 min");
  });
});
