/**
 * The alert-rule form as pure logic: per-kind fields, validation (mirrors core/control/rules.py) and
 * serialisation to the API's create (POST) and edit (PATCH) bodies. Channel URLs come back masked, so an
 * edit with an empty channels box omits `channels` (the server keeps the stored list); typing URLs
 * replaces the whole list.
 */
import { formatCount, formatMs, formatUsd } from "../../lib/format";

export type RuleKind = "error_rate" | "tokens" | "cost" | "error_type" | "latency_p95";

export interface Rule {
  id: string;
  projectId: string;
  name: string;
  kind: RuleKind;
  threshold: number;
  windowMinutes: number;
  minRequests: number;
  errorType: string;
  model: string;
  cooldownS: number;
  enabled: boolean;
  channels: string[];
  channelsUnreadable: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface RuleSpec {
  name: string;
  kind: RuleKind;
  threshold: number;
  windowMinutes: number;
  minRequests: number;
  errorType: string;
  model: string;
  cooldownS: number;
  enabled: boolean;
  channels: string[];
}

export type RulePatch = Partial<RuleSpec>;

interface KindInfo {
  label: string;
  thresholdLabel: string;
  /** The kind counts requests before it can breach (error rate, p95 latency). */
  usesMinRequests: boolean;
  usesErrorType: boolean;
  integer: boolean;
}

export const KINDS: Record<RuleKind, KindInfo> = {
  error_rate: { label: "Error rate", thresholdLabel: "Error rate above (%)", usesMinRequests: true, usesErrorType: false, integer: false },
  tokens: { label: "Tokens", thresholdLabel: "Tokens above", usesMinRequests: false, usesErrorType: false, integer: true },
  cost: { label: "Cost", thresholdLabel: "Cost above (USD)", usesMinRequests: false, usesErrorType: false, integer: false },
  error_type: { label: "Error type", thresholdLabel: "Seen at least (times)", usesMinRequests: false, usesErrorType: true, integer: true },
  latency_p95: { label: "p95 latency", thresholdLabel: "p95 latency above (ms)", usesMinRequests: true, usesErrorType: false, integer: false },
};

export const RULE_KINDS = Object.keys(KINDS) as RuleKind[];
export const MAX_WINDOW_MINUTES = 60;
export const MAX_COOLDOWN_S = 7 * 24 * 3600;
export const MAX_CHANNELS = 10;
const CHANNEL_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export interface RuleForm {
  name: string;
  kind: RuleKind;
  threshold: string;
  windowMinutes: string;
  minRequests: string;
  errorType: string;
  model: string;
  cooldownS: string;
  enabled: boolean;
  /** One URL per line. When editing, empty means "keep the existing channels". */
  channels: string;
}

export type FormField = keyof RuleForm;
export type FormErrors = Partial<Record<FormField, string>>;

export function emptyForm(): RuleForm {
  return { name: "", kind: "error_rate", threshold: "", windowMinutes: "5", minRequests: "0", errorType: "", model: "", cooldownS: "300", enabled: true, channels: "" };
}

export function formFromRule(rule: Rule): RuleForm {
  return {
    name: rule.name,
    kind: rule.kind,
    threshold: String(rule.threshold),
    windowMinutes: String(rule.windowMinutes),
    minRequests: String(rule.minRequests),
    errorType: rule.errorType,
    model: rule.model,
    cooldownS: String(rule.cooldownS),
    enabled: rule.enabled,
    channels: "", // masked URLs are never put back into the form
  };
}

export function parseChannels(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function intIn(text: string, min: number, max: number, what: string): [number | null, string | undefined] {
  const n = parseNumber(text);
  if (n === null || !Number.isInteger(n)) return [null, `${what} must be a whole number`];
  if (n < min || n > max) return [null, `${what} must be between ${min} and ${max}`];
  return [n, undefined];
}

/** Field errors for the form; `editing` holds the rule being edited (channels may then be left empty). */
export function validateForm(form: RuleForm, editing: Rule | null = null): FormErrors {
  const errors: FormErrors = {};
  const info = KINDS[form.kind];
  const name = form.name.trim();
  if (!name) errors.name = "Name is required";
  else if (name.length > 200) errors.name = "At most 200 characters";

  const threshold = parseNumber(form.threshold);
  if (threshold === null) errors.threshold = "Threshold is required";
  else if (threshold < 0) errors.threshold = "Threshold cannot be negative";
  else if (info.integer && !Number.isInteger(threshold)) errors.threshold = "Threshold must be a whole number";
  else if (form.kind === "error_rate" && threshold >= 100) errors.threshold = "An error rate is a percentage below 100";
  else if (form.kind === "error_type" && threshold < 1) errors.threshold = "At least 1";

  const [, windowError] = intIn(form.windowMinutes, 1, MAX_WINDOW_MINUTES, "Window");
  if (windowError) errors.windowMinutes = windowError;
  if (info.usesMinRequests) {
    const [, minError] = intIn(form.minRequests, 0, 1_000_000_000, "Minimum requests");
    if (minError) errors.minRequests = minError;
  }
  if (info.usesErrorType) {
    if (!form.errorType.trim()) errors.errorType = "Error type is required for this kind";
    else if (form.errorType.trim().length > 256) errors.errorType = "At most 256 characters";
  }
  if (form.model.trim().length > 256) errors.model = "At most 256 characters";
  const [, cooldownError] = intIn(form.cooldownS, 1, MAX_COOLDOWN_S, "Cooldown");
  if (cooldownError) errors.cooldownS = cooldownError;

  const channels = parseChannels(form.channels);
  const mayKeep = editing !== null && !editing.channelsUnreadable;
  if (channels.length === 0) {
    if (!mayKeep)
      errors.channels = editing?.channelsUnreadable
        ? "The stored channels cannot be read any more: enter them again"
        : "At least one channel URL is required";
  } else if (channels.length > MAX_CHANNELS) errors.channels = `At most ${MAX_CHANNELS} channels`;
  else {
    const bad = channels.find((url) => !CHANNEL_URL.test(url) || url.length < 4 || url.length > 2000);
    const masked = channels.find((url) => url.includes("***"));
    if (bad) errors.channels = `Not a channel URL (scheme://…): ${bad}`;
    else if (masked) errors.channels = `That is a masked URL; enter the full URL: ${masked}`;
  }
  return errors;
}

/** The create body; call only when `validateForm` found nothing. */
export function toSpec(form: RuleForm): RuleSpec {
  const info = KINDS[form.kind];
  return {
    name: form.name.trim(),
    kind: form.kind,
    threshold: Number(form.threshold.trim()),
    windowMinutes: Number(form.windowMinutes.trim()),
    minRequests: info.usesMinRequests ? Number(form.minRequests.trim()) : 0,
    errorType: info.usesErrorType ? form.errorType.trim() : "",
    model: form.model.trim(),
    cooldownS: Number(form.cooldownS.trim()),
    enabled: form.enabled,
    channels: parseChannels(form.channels),
  };
}

/** The edit body: every field, but `channels` only when new URLs were typed (else the stored ones stay). */
export function toPatch(form: RuleForm): RulePatch {
  const { channels, ...rest } = toSpec(form);
  return channels.length > 0 ? { ...rest, channels } : rest;
}

/** A threshold or observed value in the kind's unit. */
export function formatKindValue(kind: string, value: number): string {
  switch (kind) {
    case "error_rate":
      return `${Number(value.toFixed(2))} %`;
    case "cost":
      return formatUsd(value);
    case "latency_p95":
      return formatMs(value);
    default:
      return formatCount(value);
  }
}

export function kindLabel(kind: string): string {
  return kind in KINDS ? KINDS[kind as RuleKind].label : kind;
}

/** "Error rate > 5 % over 5 min (gpt-4o)". */
export function describeCondition(rule: Pick<Rule, "kind" | "threshold" | "windowMinutes" | "model" | "errorType" | "minRequests">): string {
  const op = rule.kind === "error_type" ? "≥" : ">";
  const subject = rule.kind === "error_type" ? `Error type “${rule.errorType}”` : kindLabel(rule.kind);
  let text = `${subject} ${op} ${formatKindValue(rule.kind, rule.threshold)} over ${rule.windowMinutes} min`;
  if ((rule.kind === "error_rate" || rule.kind === "latency_p95") && rule.minRequests > 0) text += `, ≥ ${formatCount(rule.minRequests)} requests`;
  return text;
}
