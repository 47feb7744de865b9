/**
 * One POST to the gateway with fetch, classified for the send loop: sent (2xx), retry (429/5xx or a
 * network error, with the server's Retry-After), rejected (any other status; for a 422, the batch
 * positions of the events the gateway named invalid). Never throws.
 */

import { RETRYABLE_STATUSES, parseRetryAfter } from "./retry.js";

export type Outcome =
  | { kind: "sent"; status: number }
  | { kind: "retry"; status?: number; retryAfterMs?: number; reason: string }
  | { kind: "rejected"; status: number; reason: string; invalid: number[] };

interface CompressionStreamCtor {
  new (format: "gzip"): TransformStream<Uint8Array, Uint8Array>;
}

/** gzip with the runtime's CompressionStream (browsers, Node >= 18); undefined when unavailable. */
export async function gzip(body: string): Promise<Uint8Array | undefined> {
  const Compression = (globalThis as { CompressionStream?: CompressionStreamCtor }).CompressionStream;
  if (!Compression || typeof Blob === "undefined" || typeof Response === "undefined") return undefined;
  try {
    const stream = new Blob([body]).stream().pipeThrough(new Compression("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

export interface PostOptions {
  url: string;
  apiKey: string;
  body: string | Uint8Array;
  gzipped: boolean;
  timeoutMs: number;
  keepalive?: boolean;
  fetch: typeof fetch;
  /** Aborts the request from outside (a shutdown deadline); also aborted at `timeoutMs`. */
  controller?: AbortController;
}

export async function post(options: PostOptions): Promise<Outcome> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-API-Key": options.apiKey };
  if (options.gzipped) headers["Content-Encoding"] = "gzip";
  const controller = options.controller ?? (typeof AbortController === "undefined" ? undefined : new AbortController());
  const timer = controller ? setTimeout(() => controller.abort(), options.timeoutMs) : undefined;
  try {
    const response = await options.fetch(options.url, {
      method: "POST",
      headers,
      body: options.body as BodyInit,
      keepalive: options.keepalive ?? false,
      signal: controller?.signal ?? null,
    });
    const detail = await response.text().catch(() => "");
    if (response.ok) return { kind: "sent", status: response.status };
    if (RETRYABLE_STATUSES.has(response.status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"));
      return { kind: "retry", status: response.status, retryAfterMs, reason: `HTTP ${response.status}` };
    }
    return {
      kind: "rejected",
      status: response.status,
      reason: `HTTP ${response.status}: ${detail.slice(0, 300)}`,
      invalid: invalidIndexes(response.status, detail),
    };
  } catch (error) {
    return { kind: "retry", reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** The batch positions a 422 names (`{"errors": [{"index": 1, "path": "$.events[1].body", ...}]}`),
 * sorted and unique; empty when it names none (invalid JSON, a malformed envelope, another status). */
export function invalidIndexes(status: number, detail: string): number[] {
  if (status !== 422) return [];
  try {
    const errors = (JSON.parse(detail) as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) return [];
    const indexes = new Set<number>();
    for (const error of errors) {
      const index = (error as { index?: unknown } | null)?.index;
      if (typeof index === "number" && Number.isInteger(index) && index >= 0) indexes.add(index);
    }
    return [...indexes].sort((a, b) => a - b);
  } catch {
    return [];
  }
}
