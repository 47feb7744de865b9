/** When to retry and how long to wait: exponential backoff with "equal jitter", and Retry-After. */

/** 429 and 503 are the gateway's "come back later"; 408/500/502/504 come from proxies and restarts. */
export const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Never wait longer than this whatever a Retry-After says: a stuck batch holds the queue. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** Delay before retry `attempt` (0-based): between half and all of min(cap, base * 2^attempt). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); undefined if absent/bad. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (!Number.isFinite(date)) return undefined;
    ms = date - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Honour the server's Retry-After (plus a little jitter), never going below our own backoff. */
export function retryDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  retryAfterMs: number | undefined,
  random = Math.random,
): number {
  const own = backoffDelay(attempt, baseMs, capMs, random);
  if (retryAfterMs === undefined) return own;
  return Math.max(own, retryAfterMs + random() * Math.min(1000, retryAfterMs * 0.1));
}
