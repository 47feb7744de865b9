/**
 * Captured records -> wire events (contract v1, `contracts/schema/event.v1.json`).
 *
 * A capture stores a small record; the id, ISO timestamp and the coercion of user input into the
 * contract's types and limits happen when a batch is built. An event that leaves this module is
 * valid against the schema: one invalid event would get the whole batch refused with 422.
 */

import { newEventId } from "./ids.js";
import { VERSION } from "./version.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ChatMessage {
  role: string;
  content?: string | unknown[] | null;
  name?: string;
  toolCalls?: unknown[];
}

export interface TokenCounts {
  input?: number;
  output?: number;
  cached?: number;
  reasoning?: number;
}

export interface LLMCall {
  model: string;
  provider?: string;
  prompt?: string | ChatMessage[] | Record<string, unknown>[];
  response?: string | ChatMessage | ChatMessage[] | Record<string, unknown>;
  tokens?: TokenCounts;
  latencyMs?: number;
  status?: "ok" | "error";
  error?: unknown;
  params?: Record<string, unknown>;
  costUsd?: number;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  context?: Record<string, unknown>;
  /** Event time: epoch ms, Date or ISO string. Default: now. */
  timestamp?: number | Date | string;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "warning" | "error" | "fatal" | "critical";

export interface CaptureErrorOptions {
  handled?: boolean;
  errorType?: string;
  context?: Record<string, unknown>;
  timestamp?: number | Date | string;
}

/** What the hot path stores: the kind, capture time (ms), and the caller's own objects. */
export type CapturedRecord =
  | { kind: "llm_call"; at: number; data: LLMCall }
  | { kind: "log"; at: number; level: unknown; message: unknown; attributes: unknown; context: unknown }
  | { kind: "error"; at: number; error: unknown; options: CaptureErrorOptions | undefined };

const LEVELS = new Set(["trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"]);
const CONTEXT_KEYS: Record<string, [string, number]> = {
  env: ["env", 64],
  environment: ["env", 64],
  userId: ["userId", 256],
  user_id: ["userId", 256],
  sessionId: ["sessionId", 256],
  session_id: ["sessionId", 256],
  release: ["release", 128],
};
const NAME_MAX = 256;
const ID_MAX = 128;
const COUNT_MAX = 1_000_000_000_000;

function text(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return String(value);
  } catch {
    return "<unprintable>";
  }
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max);
}

function name(value: unknown, fallback: string): string {
  const out = value === undefined || value === null ? "" : truncate(text(value), NAME_MAX);
  return out.trim() ? out : fallback;
}

function nonNegative(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function count(value: unknown): number {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.min(COUNT_MAX, Math.max(0, Math.floor(n))) : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isoTime(value: unknown, fallbackMs: number): string {
  let ms = fallbackMs;
  if (typeof value === "number" && Number.isFinite(value)) ms = value;
  else if (value instanceof Date && Number.isFinite(value.getTime())) ms = value.getTime();
  else if (typeof value === "string" && Number.isFinite(Date.parse(value))) ms = Date.parse(value);
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : new Date(fallbackMs).toISOString();
}

export function logLevel(level: unknown): string {
  const value = text(level).trim().toLowerCase();
  if (value === "exception" || value === "err") return "error";
  return LEVELS.has(value) ? value : "info";
}

function message(value: unknown): ChatMessage {
  if (!isObject(value)) return { role: "user", content: text(value) };
  const role = truncate(text(value.role ?? "user"), 64) || "user";
  const out: ChatMessage = { role };
  const content = value.content;
  if (content !== undefined && content !== null) {
    out.content = typeof content === "string" || Array.isArray(content) ? content : text(content);
  }
  if (value.name !== undefined && value.name !== null) out.name = truncate(text(value.name), NAME_MAX);
  const toolCalls = value.toolCalls ?? value.tool_calls;
  if (Array.isArray(toolCalls)) out.toolCalls = toolCalls;
  return out;
}

function prompt(value: unknown): string | ChatMessage[] {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(message);
  if (isObject(value)) return [message(value)];
  return text(value);
}

function response(value: unknown): string | ChatMessage | ChatMessage[] {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(message);
  if (isObject(value) && "role" in value) return message(value);
  return text(value);
}

function tokens(value: unknown): { input: number; output: number; cached?: number; reasoning?: number } {
  const out: { input: number; output: number; cached?: number; reasoning?: number } = { input: 0, output: 0 };
  if (!isObject(value)) return out;
  out.input = count(value.input ?? value.inputTokens ?? value.promptTokens ?? value.prompt_tokens);
  out.output = count(value.output ?? value.outputTokens ?? value.completionTokens ?? value.completion_tokens);
  if (value.cached !== undefined && value.cached !== null) out.cached = count(value.cached);
  if (value.reasoning !== undefined && value.reasoning !== null) out.reasoning = count(value.reasoning);
  return out;
}

function errorInfo(value: unknown): { type: string; message: string } {
  if (value instanceof Error) return { type: name(value.name, "Error"), message: text(value.message) };
  if (isObject(value)) return { type: name(value.type, "Error"), message: text(value.message ?? "") };
  return { type: "Error", message: text(value) };
}

function attributes(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) && Object.keys(value).length > 0 ? { ...value } : undefined;
}

/** Merge the event's context over the client's: well-known keys typed, the rest in attributes. */
export function mergeContext(
  own: unknown,
  defaults: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const tags: Record<string, string> = {};
  const attrs: Record<string, unknown> = {};
  for (const source of [defaults, own]) {
    if (!isObject(source)) continue;
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined || value === null) continue;
      const known = CONTEXT_KEYS[key];
      if (known) out[known[0]] = truncate(text(value), known[1]);
      else if (key === "tags" && isObject(value)) {
        for (const [k, v] of Object.entries(value)) tags[k] = truncate(text(v), 256);
      } else if (key === "attributes" && isObject(value)) Object.assign(attrs, value);
      else attrs[key] = value;
    }
  }
  if (Object.keys(tags).length) out.tags = tags;
  if (Object.keys(attrs).length) out.attributes = attrs;
  return Object.keys(out).length ? out : undefined;
}

export class EventBuilder {
  private readonly sdk = { name: "lynex-js", version: VERSION };
  private readonly defaults: Record<string, unknown> | undefined;

  constructor(
    private readonly projectId: string | undefined,
    defaultContext: Record<string, unknown>,
    private readonly captureContent: boolean,
  ) {
    this.defaults = mergeContext(defaultContext, undefined);
  }

  build(record: CapturedRecord): Record<string, unknown> {
    let body: Record<string, unknown>;
    let own: unknown;
    let timestamp: unknown;
    if (record.kind === "llm_call") {
      body = this.llmCall(record.data);
      own = record.data.context;
      timestamp = record.data.timestamp;
    } else if (record.kind === "log") {
      body = { level: logLevel(record.level), message: text(record.message) };
      const attrs = attributes(record.attributes);
      if (attrs) body.attributes = attrs;
      own = record.context;
    } else {
      body = errorBody(record.error, record.options);
      own = record.options?.context;
      timestamp = record.options?.timestamp;
    }
    const event: Record<string, unknown> = {
      eventId: newEventId(),
      type: record.kind,
      timestamp: isoTime(timestamp, record.at),
      sdk: this.sdk,
    };
    if (this.projectId) event.projectId = this.projectId;
    const context = mergeContext(own, this.defaults);
    if (context) event.context = context;
    event.body = body;
    return event;
  }

  private llmCall(call: LLMCall): Record<string, unknown> {
    const c = isObject(call) ? call : ({ model: "unknown" } as LLMCall);
    const body: Record<string, unknown> = { model: name(c.model, "unknown") };
    if (c.provider !== undefined) body.provider = name(c.provider, "unknown");
    if (this.captureContent) {
      if (c.prompt !== undefined && c.prompt !== null) body.prompt = prompt(c.prompt);
      if (c.response !== undefined && c.response !== null) body.response = response(c.response);
    }
    body.tokens = tokens(c.tokens);
    const latency = nonNegative(c.latencyMs);
    if (latency !== undefined) body.latencyMs = latency;
    const error = c.error !== undefined && c.error !== null ? errorInfo(c.error) : undefined;
    body.status = c.status === "error" || (c.status === undefined && error) ? "error" : "ok";
    if (error) body.error = error;
    if (isObject(c.params)) body.params = { ...c.params };
    const cost = nonNegative(c.costUsd);
    if (cost !== undefined) body.costUsd = cost;
    for (const key of ["traceId", "spanId", "parentSpanId"] as const) {
      const id = c[key];
      if (id !== undefined && id !== null && text(id)) body[key] = truncate(text(id), ID_MAX);
    }
    return body;
  }
}

function errorBody(error: unknown, options: CaptureErrorOptions | undefined): Record<string, unknown> {
  let body: Record<string, unknown>;
  if (error instanceof Error) {
    body = { errorType: name(options?.errorType ?? error.name, "Error"), message: text(error.message) };
    if (typeof error.stack === "string" && error.stack) body.stack = error.stack;
  } else {
    body = { errorType: name(options?.errorType, "Error"), message: text(error) };
  }
  if (options?.handled !== undefined) body.handled = Boolean(options.handled);
  return body;
}

/** JSON of one event; cycles, BigInts, NaN and Infinity are repaired rather than refused. */
export function encodeEvent(event: Record<string, unknown>): string {
  try {
    return JSON.stringify(event, safeValue);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(event, (key, value: unknown) => {
      const safe = safeValue(key, value);
      if (typeof safe === "object" && safe !== null) {
        if (seen.has(safe)) return "[circular]";
        seen.add(safe);
      }
      return safe;
    });
  }
}

function safeValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value;
}
