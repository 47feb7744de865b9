/**
 * `Lynex`: capture methods (a push to a bounded queue), and the send loop that batches, gzips,
 * posts and retries. One request is in flight at a time. A 422 that names its invalid events drops
 * only those (counted as `invalid`) and sends the rest again. No public method throws, and no
 * promise it returns rejects.
 */

import {
  type CaptureErrorOptions,
  type CapturedRecord,
  EventBuilder,
  type LLMCall,
  type LogLevel,
  encodeEvent,
} from "./events.js";
import { type ExitAware, register, unregister } from "./lifecycle.js";
import { type LynexOptions, MAX_BATCH_BYTES, type ResolvedOptions, resolveOptions } from "./options.js";
import { BoundedQueue } from "./queue.js";
import { retryDelay } from "./retry.js";
import { type Outcome, gzip, post } from "./transport.js";

export interface LynexStats {
  /** Events waiting in the queue. */
  queued: number;
  /** Events the gateway accepted. */
  sent: number;
  /** Events dropped because the queue was full (the oldest go first). */
  dropped: number;
  /** Events in batches the gateway refused with a non-retryable status (400, 401, 403, 413, or a 422
   * that names no event of the batch, or all of them). */
  rejected: number;
  /** Events given up after `maxRetries`, or not delivered before a shutdown/exit timeout. */
  failed: number;
  /** Events dropped as invalid: not encodable, over 5 MiB, or named invalid by the gateway in a 422. */
  invalid: number;
  /** Retry attempts. */
  retries: number;
  /** Requests the gateway accepted. */
  batches: number;
}

interface Batch {
  /** The encoded events, kept so that the ones a 422 names can be left out of a new request. */
  parts: string[];
  body: string | Uint8Array;
  gzipped: boolean;
  count: number;
  attempt: number;
}

interface FlushWaiter {
  target: number;
  resolve: (done: boolean) => void;
}

/** Keepalive requests share a 64 KiB budget per page: stay under it when the page is hidden. */
const KEEPALIVE_BYTES = 60 * 1024;
const ENVELOPE = '{"events":[]}'.length;

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

function envelope(parts: string[]): string {
  return `{"events":[${parts.join(",")}]}`;
}

function byteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) bytes += code > 0x7ff ? 2 : 1; // surrogate pairs: 2 + 2 = 4 bytes, as UTF-8
  }
  return bytes;
}

export class Lynex implements ExitAware {
  private readonly options: ResolvedOptions;
  private readonly queue: BoundedQueue<CapturedRecord>;
  private readonly builder: EventBuilder;
  private readonly fetchImpl: typeof fetch | undefined;
  private closed: boolean;
  private enqueued = 0;
  private carry: string | undefined;
  private pending: Batch | undefined;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wakeSleep: (() => void) | undefined;
  private deadline: number | undefined;
  private inflight: AbortController | undefined;
  private waiters: FlushWaiter[] = [];
  private readonly reported = new Set<string>();
  private readonly counters = { sent: 0, rejected: 0, failed: 0, invalid: 0, retries: 0, batches: 0 };

  constructor(options: LynexOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.queue = new BoundedQueue(o.maxQueueSize);
    this.builder = new EventBuilder(o.projectId, o.context, o.captureContent);
    this.fetchImpl = o.fetch ?? (typeof fetch === "function" ? fetch.bind(globalThis) : undefined);
    this.closed = !(o.enabled && o.apiKey && this.fetchImpl);
    if (o.enabled && !o.apiKey) this.warnOnce("no_key", "no apiKey (or LYNEX_API_KEY): events are not sent");
    if (!this.closed && o.flushOnExit) register(this);
  }

  // -- capture: the hot path -------------------------------------------------------------------

  /** Record one LLM call: `{ model, prompt?, response?, tokens?: {input, output}, latencyMs? ... }`. */
  captureLLMCall(call: LLMCall): void {
    if (this.closed) return;
    try {
      const data = { ...call };
      if (Array.isArray(data.prompt)) data.prompt = data.prompt.slice(); // the caller may append later
      this.enqueue({ kind: "llm_call", at: Date.now(), data });
    } catch (error) {
      this.internalError(error);
    }
  }

  /** Record an Error (with its stack) or a message. */
  captureError(error: unknown, options?: CaptureErrorOptions): void {
    if (this.closed) return;
    try {
      this.enqueue({ kind: "error", at: Date.now(), error, options: options ? { ...options } : undefined });
    } catch (err) {
      this.internalError(err);
    }
  }

  /** Record a log line. */
  log(
    level: LogLevel | string,
    message: string,
    attributes?: Record<string, unknown>,
    context?: Record<string, unknown>,
  ): void {
    if (this.closed) return;
    try {
      this.enqueue({ kind: "log", at: Date.now(), level, message, attributes, context });
    } catch (error) {
      this.internalError(error);
    }
  }

  private enqueue(record: CapturedRecord): void {
    this.queue.push(record);
    this.enqueued += 1;
    if (this.queue.length >= this.options.flushAt) this.kick();
    else if (this.timer === undefined && !this.running) this.schedule(this.options.flushIntervalMs);
  }

  // -- delivery control ------------------------------------------------------------------------

  /** Resolve once every event captured before the call was sent (or given up): true, or false if
   * `timeoutMs` passed first. */
  flush(timeoutMs?: number): Promise<boolean> {
    try {
      if (this.idle()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waiter: FlushWaiter = {
          target: this.enqueued,
          resolve: (done) => {
            if (timer !== undefined) clearTimeout(timer);
            resolve(done);
          },
        };
        this.waiters.push(waiter);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            resolve(false);
          }, timeoutMs);
        }
        this.kick();
      });
    } catch (error) {
      this.internalError(error);
      return Promise.resolve(false);
    }
  }

  /** Stop accepting events and deliver what is queued within `timeoutMs` (default
   * `shutdownTimeoutMs`); true if everything was sent. Idempotent. */
  async shutdown(timeoutMs?: number): Promise<boolean> {
    try {
      this.closed = true;
      unregister(this);
      return await this.deliverWithin(timeoutMs ?? this.options.shutdownTimeoutMs);
    } catch (error) {
      this.internalError(error);
      return false;
    }
  }

  stats(): LynexStats {
    return { queued: this.queue.length, dropped: this.queue.dropped, ...this.counters };
  }

  /** Node is about to exit (its loop is empty): deliver within `shutdownTimeoutMs`. */
  async flushBeforeExit(): Promise<boolean> {
    if (this.idle() || this.deadline !== undefined) return true;
    return this.deliverWithin(this.options.shutdownTimeoutMs);
  }

  /** The page is hidden: send what fits in a keepalive request (no gzip: it must start now). */
  flushOnHide(): void {
    try {
      const fetchImpl = this.fetchImpl;
      if (!fetchImpl || !this.options.apiKey || (this.queue.length === 0 && this.carry === undefined)) return;
      const parts: string[] = [];
      let size = ENVELOPE;
      if (this.carry !== undefined && byteLength(this.carry) + 1 + size <= KEEPALIVE_BYTES) {
        parts.push(this.carry);
        size += byteLength(this.carry) + 1;
        this.carry = undefined;
      }
      while (this.queue.length > 0 && parts.length < this.options.maxBatchSize) {
        const record = this.queue.shift() as CapturedRecord;
        const part = this.encode(record);
        if (part === undefined) continue;
        const bytes = byteLength(part) + 1;
        if (size + bytes > KEEPALIVE_BYTES) {
          this.queue.unshift([record]); // sent later, with the page visible again, or lost with it
          break;
        }
        parts.push(part);
        size += bytes;
      }
      if (parts.length === 0) return;
      this.postKeepalive(parts, this.options.apiKey, fetchImpl);
      this.debug(`keepalive batch of ${parts.length} events on page hide`);
    } catch (error) {
      this.internalError(error);
    }
  }

  /** Fire and forget; a 422 naming some events sends the others again (if the page still runs). */
  private postKeepalive(parts: string[], apiKey: string, fetchImpl: typeof fetch): void {
    void post({
      url: this.options.eventsUrl,
      apiKey,
      body: envelope(parts),
      gzipped: false,
      timeoutMs: this.options.requestTimeoutMs,
      keepalive: true,
      fetch: fetchImpl,
    })
      .then((outcome) => {
        const kept = this.withoutInvalid(parts, outcome);
        if (kept === undefined) this.record(outcome, parts.length);
        else this.postKeepalive(kept, apiKey, fetchImpl);
      })
      .catch((error: unknown) => this.internalError(error));
  }

  private async deliverWithin(timeoutMs: number): Promise<boolean> {
    const failedBefore = this.counters.failed;
    this.deadline = Date.now() + timeoutMs;
    this.wakeSleep?.();
    // A request still in flight at the deadline (a hanging gateway) is aborted: its socket would
    // otherwise keep a Node process alive for the whole request timeout.
    const abort = setTimeout(() => this.inflight?.abort(), timeoutMs);
    try {
      // The timer inside flush() keeps a Node process alive until the deadline, not longer.
      const done = await this.flush(timeoutMs + 50);
      return done && this.idleExceptRunning() && this.counters.failed === failedBefore;
    } finally {
      clearTimeout(abort);
      this.deadline = undefined;
    }
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.carry === undefined && this.pending === undefined && !this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.kick();
      },
      Math.max(0, delayMs),
    );
    unref(this.timer); // an idle client never keeps a Node process alive
  }

  private kick(): void {
    if (this.running) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      this.afterLoop();
    });
  }

  private afterLoop(): void {
    this.releaseWaiters(true);
    if (this.queue.length > 0 || this.carry !== undefined) {
      const oldest = this.peekAge();
      this.schedule(this.due() ? 0 : this.options.flushIntervalMs - oldest);
    }
  }

  private peekAge(): number {
    const oldest = this.queue.peek();
    return oldest ? Date.now() - oldest.at : 0;
  }

  private due(): boolean {
    return (
      this.carry !== undefined ||
      this.queue.length >= this.options.flushAt ||
      this.waiters.length > 0 ||
      this.deadline !== undefined ||
      (this.queue.length > 0 && this.peekAge() >= this.options.flushIntervalMs)
    );
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.deadline !== undefined && Date.now() >= this.deadline) {
          this.giveUpAll();
          return;
        }
        if (this.pending === undefined) {
          if (!this.due() || (this.queue.length === 0 && this.carry === undefined)) return;
          this.pending = await this.nextBatch();
          if (this.pending === undefined) continue;
        }
        const batch = this.pending;
        this.inflight = typeof AbortController === "undefined" ? undefined : new AbortController();
        const outcome = await post({
          url: this.options.eventsUrl,
          apiKey: this.options.apiKey ?? "",
          body: batch.body,
          gzipped: batch.gzipped,
          timeoutMs: this.timeoutMs(),
          fetch: this.fetchImpl as typeof fetch,
          controller: this.inflight,
        });
        this.inflight = undefined;
        const kept = this.withoutInvalid(batch.parts, outcome);
        if (kept !== undefined) {
          // A new request (new bytes, attempt 0); the events in it keep their ids.
          this.pending = await this.batchOf(kept);
          this.releaseWaiters(false);
          continue;
        }
        if (outcome.kind === "retry" && (batch.attempt < this.options.maxRetries || this.deadline !== undefined)) {
          const delay = retryDelay(batch.attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, outcome.retryAfterMs);
          batch.attempt += 1;
          this.counters.retries += 1;
          this.debug(`retry ${batch.attempt} in ${Math.round(delay)} ms: ${outcome.reason}`);
          await this.sleep(delay);
          continue;
        }
        this.pending = undefined;
        this.record(outcome, batch.count);
        this.releaseWaiters(false);
      }
    } catch (error) {
      this.internalError(error);
    }
  }

  private timeoutMs(): number {
    const left = this.deadline === undefined ? Infinity : this.deadline - Date.now();
    return Math.max(1, Math.min(this.options.requestTimeoutMs, left));
  }

  private sleep(ms: number): Promise<void> {
    const left = this.deadline === undefined ? ms : Math.min(ms, Math.max(0, this.deadline - Date.now()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, left);
      unref(timer); // a dead gateway must not keep a Node process alive
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = undefined;
        done();
      };
    });
  }

  private async nextBatch(): Promise<Batch | undefined> {
    const parts: string[] = [];
    let size = ENVELOPE;
    if (this.carry !== undefined) {
      parts.push(this.carry);
      size += byteLength(this.carry) + 1;
      this.carry = undefined;
    }
    while (parts.length < this.options.maxBatchSize && this.queue.length > 0) {
      const part = this.encode(this.queue.shift() as CapturedRecord);
      if (part === undefined) continue;
      const bytes = byteLength(part) + 1;
      if (size + bytes > MAX_BATCH_BYTES) {
        this.carry = part;
        break;
      }
      parts.push(part);
      size += bytes;
    }
    if (parts.length === 0) return undefined;
    return this.batchOf(parts);
  }

  private async batchOf(parts: string[]): Promise<Batch> {
    const body = envelope(parts);
    const compressed = this.options.compress ? await gzip(body) : undefined;
    return compressed
      ? { parts, body: compressed, gzipped: true, count: parts.length, attempt: 0 }
      : { parts, body, gzipped: false, count: parts.length, attempt: 0 };
  }

  /** For a 422 naming some (not all) of `parts` by position: count those as invalid, report once,
   * and return the others to send again. Otherwise undefined: the outcome applies to the whole batch
   * (a 422 naming nothing usable, or a position the batch does not have, drops it as rejected). */
  private withoutInvalid(parts: string[], outcome: Outcome): string[] | undefined {
    if (outcome.kind !== "rejected" || outcome.status !== 422) return undefined;
    const bad = new Set(outcome.invalid);
    if (bad.size === 0 || bad.size >= parts.length || outcome.invalid.some((i) => i >= parts.length)) return undefined;
    this.counters.invalid += bad.size;
    const kept = parts.length - bad.size;
    this.warnOnce(
      "invalid_422",
      `the gateway refused ${bad.size} invalid event(s) of a batch of ${parts.length}; sending the other ${kept} again (${outcome.reason})`,
    );
    return parts.filter((_, i) => !bad.has(i));
  }

  private encode(record: CapturedRecord): string | undefined {
    try {
      const part = encodeEvent(this.builder.build(record));
      if (byteLength(part) + 1 + ENVELOPE > MAX_BATCH_BYTES) {
        this.counters.invalid += 1;
        this.warnOnce("too_large", "dropped an event over 5 MiB");
        return undefined;
      }
      return part;
    } catch (error) {
      this.counters.invalid += 1;
      this.warnOnce("invalid", `dropped an event it could not encode: ${String(error)}`);
      return undefined;
    }
  }

  private record(outcome: Outcome, count: number): void {
    if (outcome.kind === "sent") {
      this.counters.sent += count;
      this.counters.batches += 1;
      this.debug(`batch of ${count} events sent`);
    } else if (outcome.kind === "rejected") {
      this.counters.rejected += count;
      this.warnOnce(`status_${outcome.status}`, `the gateway refused a batch of ${count} events (${outcome.reason}); not retried`);
    } else {
      this.counters.failed += count;
      this.warnOnce("failed", `dropped ${count} events: ${outcome.reason}`);
    }
  }

  private giveUpAll(): void {
    let count = (this.pending?.count ?? 0) + (this.carry !== undefined ? 1 : 0);
    this.pending = undefined;
    this.carry = undefined;
    while (this.queue.shift() !== undefined) count += 1;
    if (count > 0) {
      this.counters.failed += count;
      this.warnOnce("failed", `dropped ${count} events not delivered before the timeout`);
    }
  }

  private releaseWaiters(idle: boolean): void {
    if (this.waiters.length === 0) return;
    const inFlight = this.pending?.count ?? 0;
    const left = this.enqueued - this.queue.length - (this.carry !== undefined ? 1 : 0) - inFlight;
    const ready = this.waiters.filter((w) => (idle && this.idleExceptRunning()) || w.target <= left);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve(true);
  }

  private idleExceptRunning(): boolean {
    return this.queue.length === 0 && this.carry === undefined && this.pending === undefined;
  }

  private debug(message: string): void {
    if (this.options.debug) console.debug(`[lynex] ${message}`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.reported.has(key)) this.debug(message);
    else {
      this.reported.add(key);
      console.warn(`[lynex] ${message}`);
    }
  }

  private internalError(error: unknown): void {
    this.warnOnce("internal", `internal error (reported once): ${String(error)}`);
  }
}
