/** Client options: what the constructor takes, the defaults, and the LYNEX_* fallback in Node. */

export interface LynexOptions {
  /** Project API key, sent as `X-API-Key`. Without one (here or LYNEX_API_KEY in Node) the client is a no-op. */
  apiKey?: string;
  /** Sent as `projectId`; when absent the gateway takes the key's project. */
  projectId?: string;
  /** Gateway base URL; `/api/v1/events` is appended unless already there. Default http://127.0.0.1:8000. */
  endpoint?: string;
  /** Send as soon as this many events are queued. Default 10. */
  flushAt?: number;
  /** Send queued events at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Events per request, at most (the gateway takes at most 1,000 and 5 MiB). Default 1000. */
  maxBatchSize?: number;
  /** Events held in memory; when full the oldest are dropped and counted. Default 10,000. */
  maxQueueSize?: number;
  /** Attempts after the first for a batch refused with 429/5xx or a network error. Default 20
   * (with the default backoff a batch outlives 2-3 minutes of outage). */
  maxRetries?: number;
  /** First retry delay; doubles each attempt (with jitter) up to `backoffMaxMs`. Default 500 ms. */
  backoffBaseMs?: number;
  /** Longest delay between attempts, unless the gateway's Retry-After asks for more. Default 10 s,
   * so that events flow again within seconds of the gateway coming back. */
  backoffMaxMs?: number;
  /** Timeout of one request. Default 5 s (the gateway answers 503 within 2 s when Kafka is slow).
   * In Node a request in flight keeps the process alive, so this also bounds a hanging exit. */
  requestTimeoutMs?: number;
  /** How long `shutdown()` and the flush before Node exits may take. Default 2000 ms. */
  shutdownTimeoutMs?: number;
  /** gzip request bodies (CompressionStream) when the runtime has it. Default true. */
  compress?: boolean;
  /** Send prompts and responses; false keeps only model, tokens, latency and status. Default true. */
  captureContent?: boolean;
  /** Default `context.env` of every event. */
  environment?: string;
  /** Default `context.release` of every event. */
  release?: string;
  /** Default context merged under each event's own (userId, sessionId, tags, attributes). */
  context?: Record<string, unknown>;
  /** Log batches, retries and drops with console.debug. Default false. */
  debug?: boolean;
  /** false turns every call into a no-op. Default true. */
  enabled?: boolean;
  /** Flush before Node exits (beforeExit) and when a browser page is hidden. Default true. */
  flushOnExit?: boolean;
  /** A fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface ResolvedOptions {
  apiKey: string | undefined;
  projectId: string | undefined;
  eventsUrl: string;
  flushAt: number;
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  compress: boolean;
  captureContent: boolean;
  context: Record<string, unknown>;
  debug: boolean;
  enabled: boolean;
  flushOnExit: boolean;
  fetch: typeof fetch | undefined;
}

export const DEFAULT_ENDPOINT = "http://127.0.0.1:8000";
export const EVENTS_PATH = "/api/v1/events";
export const MAX_BATCH_EVENTS = 1000;
/** The gateway refuses bodies over 5 MiB after decompression; keep a margin for the envelope. */
export const MAX_BATCH_BYTES = 5 * 1024 * 1024 - 64 * 1024;

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === "" ? undefined : value;
}

function int(value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : fallback;
  return Math.min(max, Math.max(min, n));
}

export function eventsUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith(EVENTS_PATH) ? base : base + EVENTS_PATH;
}

/** Options given win; apiKey/projectId/endpoint fall back to LYNEX_* in Node; bad numbers are clamped. */
export function resolveOptions(options: LynexOptions = {}): ResolvedOptions {
  const context: Record<string, unknown> = { ...(options.context ?? {}) };
  if (options.environment !== undefined && context.env === undefined) context.env = options.environment;
  if (options.release !== undefined && context.release === undefined) context.release = options.release;
  const backoffBaseMs = int(options.backoffBaseMs, 500, 0);
  return {
    apiKey: options.apiKey ?? env("LYNEX_API_KEY"),
    projectId: options.projectId ?? env("LYNEX_PROJECT_ID"),
    eventsUrl: eventsUrl(options.endpoint ?? env("LYNEX_ENDPOINT") ?? DEFAULT_ENDPOINT),
    flushAt: int(options.flushAt, 10, 1),
    flushIntervalMs: int(options.flushIntervalMs, 1000, 10),
    maxBatchSize: int(options.maxBatchSize, 1000, 1, MAX_BATCH_EVENTS),
    maxQueueSize: int(options.maxQueueSize, 10_000, 1),
    maxRetries: int(options.maxRetries, 20, 0),
    backoffBaseMs,
    backoffMaxMs: Math.max(backoffBaseMs, int(options.backoffMaxMs, 10_000, 0)),
    requestTimeoutMs: int(options.requestTimeoutMs, 5000, 1),
    shutdownTimeoutMs: int(options.shutdownTimeoutMs, 2000, 0),
    compress: options.compress ?? true,
    captureContent: options.captureContent ?? true,
    context,
    debug: options.debug ?? env("LYNEX_DEBUG") === "1",
    enabled: options.enabled ?? true,
    flushOnExit: options.flushOnExit ?? true,
    fetch: options.fetch,
  };
}
