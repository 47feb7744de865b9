"""The background thread: takes records off the queue, batches, encodes, gzips, sends, retries.

Batching: a request goes out when `flush_at` events are queued, when the oldest queued event is
`flush_interval` old, or when a flush was asked for. Retries: 429/5xx/network errors back off
exponentially with jitter (at least the server's Retry-After) up to `max_retries`; any other
status drops the batch and is reported once per status, except a 422 that names its invalid
events: those are dropped (counted as `invalid`) and the rest of the batch is sent again. The batch's
bytes, and so its event ids, are built once: a retried batch is the same request, which the pipeline deduplicates by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable

from lynex.config import MAX_BATCH_BYTES, Config
from lynex.retry import retry_delay
from lynex.transport import HttpTransport, Rejected, Retry, Sent, gzip_body
from lynex.wire import EventBuilder, encode_batch, encode_event

log = logging.getLogger("lynex")
_ENVELOPE = len(encode_batch([]))


class FlushRequest:
    """Made by `flush()`: done once the first `target` events ever queued have left the queue
    (sent, given up or dropped). Not a marker in the queue: a full queue would drop it."""

    __slots__ = ("done", "target")

    def __init__(self, target: int) -> None:
        self.target = target
        self.done = threading.Event()


class Worker:
    """Consumes one client's queue on a daemon thread. Counters are written by this thread only."""

    def __init__(
        self, config: Config, queue: deque[Any], wake: threading.Event, enqueued: Callable[[], int]
    ) -> None:
        self._config = config
        self._queue = queue
        self._wake = wake
        self._enqueued = enqueued  # how many records were ever appended to `queue`
        self._builder = EventBuilder(config.project_id, _default_context(config), config.capture_content)
        self._transport = HttpTransport(config.events_url, config.api_key or "", config.request_timeout)
        self._stop = threading.Event()
        self._deadline: float | None = None  # monotonic; set by stop()
        self._carry: bytes | None = None  # an encoded event that did not fit the last batch
        self._flushes: set[FlushRequest] = set()
        self._flushes_lock = threading.Lock()
        self._reported: set[str] = set()
        self._thread: threading.Thread | None = None
        self.popped = self.sent = self.batches = self.rejected = self.failed = 0
        self.invalid = self.retries = 0
        self.last_error: str | None = None

    # -- lifecycle (called from the application's threads) -----------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lynex-worker", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def register_flush(self, request: FlushRequest) -> None:
        with self._flushes_lock:
            self._flushes.add(request)

    def stop(self, timeout: float) -> bool:
        """Send what is queued until `timeout` has passed, then stop; True if all of it was sent."""
        failed_before = self.failed
        self._deadline = time.monotonic() + max(0.0, timeout)
        self._stop.set()
        self._wake.set()
        if self.alive:
            assert self._thread is not None
            self._thread.join(max(0.0, timeout) + 0.05)
        else:  # never started (or interpreter exit): deliver from the calling thread
            self._drain()
        return not (self._queue or self._carry is not None or self.alive or self.failed > failed_before)

    # -- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                if self._step():
                    break
            except Exception:
                log.exception("lynex worker error; continuing")
                time.sleep(0.1)
        self._transport.close()

    def _drain(self) -> None:
        while not self._step():
            pass
        self._transport.close()

    def _step(self) -> bool:
        """One decision: send a batch, or wait. True when the worker should exit."""
        self._wake.clear()
        queue = self._queue
        if not queue and self._carry is None:
            self._release_flushes()
            if self._stop.is_set():
                return True
            self._wake.wait(self._config.flush_interval)
            return False
        if self._stop.is_set():
            if self._deadline is not None and time.monotonic() >= self._deadline:
                self._give_up_queue()
                return True
            self._send_batch()
            return False
        wait = self._due_in()
        if wait > 0:
            self._wake.wait(wait)
            return False
        self._send_batch()
        return False

    def _due_in(self) -> float:
        """Seconds until a batch is due (0: now): enough events, a flush asked for, or age."""
        queue = self._queue
        if len(queue) >= self._config.flush_at or self._carry is not None or self._flushes:
            return 0.0
        try:
            oldest = queue[0]
        except IndexError:
            return 0.0
        age: float = time.time() - oldest[1]
        return max(0.0, min(self._config.flush_interval - age, self._config.flush_interval))

    def _send_batch(self) -> None:
        limit, max_bytes = self._config.max_batch_size, MAX_BATCH_BYTES - _ENVELOPE
        parts: list[bytes] = []
        size = 0
        if self._carry is not None:
            parts.append(self._carry)
            size = len(self._carry) + 1
            self._carry = None
        queue = self._queue
        while len(parts) < limit:
            try:
                item = queue.popleft()
            except IndexError:
                break
            self.popped += 1
            data = self._encode(item)
            if data is None:
                continue
            if size + len(data) + 1 > max_bytes:
                self._carry = data
                break
            parts.append(data)
            size += len(data) + 1
        if parts:
            self._deliver(parts)
        self._check_flushes()

    def _encode(self, record: Any) -> bytes | None:
        try:
            data = encode_event(self._builder.build(record))
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            self.invalid += 1
            self._report_once("invalid", "lynex dropped an event it could not encode: %r", exc)
            return None
        if len(data) + 1 > MAX_BATCH_BYTES - _ENVELOPE:
            self.invalid += 1
            self._report_once("too_large", "lynex dropped an event of %d bytes (over 5 MiB)", len(data))
            return None
        return data

    def _deliver(self, parts: list[bytes]) -> None:
        config = self._config
        body = encode_batch(parts)
        payload = gzip_body(body, config.compression_level)
        gzipped = config.compression_level > 0
        attempt = 0
        while True:
            remaining = None if self._deadline is None else self._deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._give_up(len(parts), "shutdown deadline passed")
                return
            outcome = self._transport.post(payload, gzipped, remaining)
            if isinstance(outcome, Sent):
                self.sent += len(parts)
                self.batches += 1
                log.debug("lynex batch sent: %d events, %d bytes", len(parts), len(payload))
                return
            if isinstance(outcome, Rejected):
                if outcome.status == 413 and len(parts) > 1:
                    half = len(parts) // 2
                    self._deliver(parts[:half])
                    self._deliver(parts[half:])
                    return
                bad = set(outcome.invalid)
                if outcome.status == 422 and bad and len(bad) < len(parts):
                    # The gateway refuses a batch whole but names the bad events: drop only those.
                    self.invalid += len(bad)
                    self._report_once(
                        "invalid_422",
                        "lynex: the gateway refused %d invalid event(s): %s",
                        len(bad),
                        outcome.reason,
                    )
                    self._deliver([p for i, p in enumerate(parts) if i not in bad])
                    return
                self.rejected += len(parts)
                self.last_error = outcome.reason
                self._report_once(
                    f"status_{outcome.status}",
                    "lynex: the gateway refused a batch of %d events (%s); not retried",
                    len(parts),
                    outcome.reason,
                )
                return
            assert isinstance(outcome, Retry)
            self.last_error = outcome.reason
            if attempt >= config.max_retries:
                self._give_up(len(parts), f"{outcome.reason} after {attempt + 1} attempts")
                return
            delay = retry_delay(attempt, config.backoff_base, config.backoff_max, outcome.retry_after)
            attempt += 1
            self.retries += 1
            log.debug("lynex retry %d in %.2fs: %s", attempt, delay, outcome.reason)
            self._sleep(delay)

    def _sleep(self, delay: float) -> None:
        """Back off; a shutdown cuts the wait to what is left before its deadline."""
        end = time.monotonic() + delay
        if not self._stop.wait(delay):
            return
        if self._deadline is not None:
            time.sleep(max(0.0, min(end, self._deadline) - time.monotonic()))

    def _give_up(self, count: int, reason: str) -> None:
        self.failed += count
        self._report_once("failed", "lynex dropped %d events: %s", count, reason)

    def _give_up_queue(self) -> None:
        count = 1 if self._carry is not None else 0
        self._carry = None
        while self._queue:
            try:
                self._queue.popleft()
            except IndexError:  # emptied concurrently
                break
            self.popped += 1
            count += 1
        if count:
            self._give_up(count, "not delivered before the shutdown timeout")
        self._release_flushes()

    def _check_flushes(self) -> None:
        """Release the flushes whose events all left the queue. The queue is FIFO (sends and drops
        both take from the head) and everything popped so far was delivered or given up."""
        if not self._flushes:
            return
        left = self._enqueued() - len(self._queue) - (1 if self._carry is not None else 0)
        with self._flushes_lock:
            done = {request for request in self._flushes if request.target <= left}
            self._flushes -= done
        for request in done:
            request.done.set()

    def _release_flushes(self) -> None:
        """The queue is empty and nothing is in flight: every pending flush is done."""
        if self._flushes:
            with self._flushes_lock:
                pending, self._flushes = self._flushes, set()
            for request in pending:
                request.done.set()

    def _report_once(self, key: str, message: str, *args: Any) -> None:
        if key in self._reported:
            log.debug(message, *args)
        else:
            self._reported.add(key)
            log.warning(message, *args)


def _default_context(config: Config) -> dict:  # type: ignore[type-arg]
    context = dict(config.context)
    if config.environment:
        context.setdefault("env", config.environment)
    if config.release:
        context.setdefault("release", config.release)
    return context


def new_queue(config: Config) -> deque[Any]:
    # A full deque drops from the other end on append, atomically: "drop oldest" without a lock.
    return deque(maxlen=config.max_queue_size)
