"""`Lynex`: the client. Its capture methods are the hot path on the application's threads.

A capture builds one tuple and appends it to a bounded deque, nothing else: no JSON, no id, no lock
(a deque append is atomic). The worker thread (`worker.py`) does the rest. No public method raises
into the application: an internal error is logged once on the `lynex` logger and counted.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, Mapping

from lynex import lifecycle
from lynex.config import Config
from lynex.tracing import Span, _current, trace_decorator
from lynex.wire import ERROR, LLM_CALL, LOG, to_epoch
from lynex.worker import FlushRequest, Worker, new_queue

log = logging.getLogger("lynex")
_now = time.time
_span_context = _current.get


class Lynex:
    """A client for one project and gateway. Most apps use the module-level `lynex.init()` instead.

    >>> client = Lynex(api_key="sk_live_...", endpoint="https://lynex.example.com")
    >>> client.capture_llm_call(model="gpt-4o-mini", tokens={"input": 12, "output": 40}, latency_ms=350)
    >>> client.shutdown()
    """

    def __init__(
        self,
        api_key: str | None = None,
        project_id: str | None = None,
        endpoint: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        self.config = Config.build(
            environ, api_key=api_key, project_id=project_id, endpoint=endpoint, **options
        )
        if self.config.debug:
            enable_debug_logging()
        self._closed = not (self.config.enabled and self.config.api_key)
        if self.config.enabled and not self.config.api_key:
            log.warning("lynex: no API key (api_key= or LYNEX_API_KEY); events are not sent")
        self._flush_at = self.config.flush_at
        self._internal_errors = 0
        self._reset_state()
        lifecycle.register(self)

    def _reset_state(self) -> None:
        """Fresh queue, worker and locks: at start, and in a child process after fork()."""
        self._queue = new_queue(self.config)
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._enqueued = 0
        self._started = False
        self._worker = Worker(self.config, self._queue, self._wake, lambda: self._enqueued)

    # -- capture: the hot path ------------------------------------------------------------------------

    def capture_llm_call(
        self,
        model: str | None = None,
        prompt: Any = None,
        response: Any = None,
        tokens: Any = None,
        latency_ms: float | None = None,
        *,
        provider: str | None = None,
        status: str | None = None,
        error: Any = None,
        params: Mapping[str, Any] | None = None,
        cost_usd: float | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        parent_span_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        timestamp: Any = None,
    ) -> None:
        """Record one LLM call. `tokens` is {"input": n, "output": n, "cached"?: n, "reasoning"?: n};
        `prompt` a string or chat messages; `response` a string or a message; `error` an exception."""
        if self._closed:
            return
        try:
            if type(prompt) is list:  # the caller may append to its message list after this call
                prompt = prompt[:]
            queue = self._queue
            queue.append(
                (
                    LLM_CALL,
                    _now(),
                    _span_context(),
                    context,
                    None if timestamp is None else to_epoch(timestamp),
                    model,
                    prompt,
                    response,
                    tokens,
                    latency_ms,
                    provider,
                    status,
                    error,
                    params,
                    cost_usd,
                    trace_id,
                    span_id,
                    parent_span_id,
                )
            )
            self._enqueued += 1  # one bytecode-level add under the GIL: no lost updates in CPython
            if len(queue) == self._flush_at:
                self._wake.set()
            if not self._started:
                self._start()
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)

    def capture_error(
        self,
        error: BaseException | str | None = None,
        *,
        error_type: str | None = None,
        handled: bool | None = True,
        stack: str | None = None,
        context: Mapping[str, Any] | None = None,
        timestamp: Any = None,
    ) -> None:
        """Record an exception (its stack is formatted on the worker) or a message. With no argument
        inside an `except` block, records the exception being handled."""
        if self._closed:
            return
        try:
            if error is None:
                error = sys.exc_info()[1] or "unknown error"
            ts = None if timestamp is None else to_epoch(timestamp)
            self._enqueue((ERROR, _now(), _span_context(), context, ts, error, error_type, stack, handled))
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)

    def log(
        self,
        level: str | int,
        message: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        timestamp: Any = None,
        **fields: Any,
    ) -> None:
        """Record a log line: `level` is a name (info, warning...) or a `logging` number; extra
        keyword arguments become attributes."""
        if self._closed:
            return
        try:
            if fields:
                attributes = {**attributes, **fields} if attributes else fields
            ts = None if timestamp is None else to_epoch(timestamp)
            self._enqueue((LOG, _now(), _span_context(), context, ts, level, message, attributes))
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)

    def span(self, name: str, **attributes: Any) -> Span:
        """`with client.span("retrieve", k=5) as span:` times the block and sends a span event."""
        return Span(self._enqueue, name, attributes)

    def trace(self, func: Any = None, *, name: str | None = None) -> Any:
        """Decorator: `@client.trace`, `@client.trace("name")`; sync and async functions."""
        return trace_decorator(self.span, func, name)

    def _enqueue(self, record: Any) -> None:
        if self._closed:
            return
        try:
            queue = self._queue
            queue.append(record)
            self._enqueued += 1
            if len(queue) == self._flush_at:
                self._wake.set()
            if not self._started:
                self._start()
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)

    # -- delivery control -------------------------------------------------------------------------

    def _start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._started = True
            if lifecycle.exiting():
                return  # no new threads at interpreter exit: the exit flush drains synchronously
            try:
                self._worker.start()
            except RuntimeError as exc:  # "can't create new thread at interpreter shutdown"
                log.debug("lynex worker not started: %s", exc)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every event captured before this call was sent (or given up), at most
        `timeout` seconds (None: no limit). True if everything was handed over in time."""
        try:
            if not self._started and not self._queue:
                return True
            request = FlushRequest(self._enqueued)
            self._worker.register_flush(request)
            self._wake.set()
            if not self._started:
                self._start()
            if not self._worker.alive:
                self._worker.stop(self.config.shutdown_timeout if timeout is None else timeout)
            return request.done.wait(timeout)
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)
            return False

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop accepting events, deliver what is queued within `timeout` seconds (default
        `shutdown_timeout`), stop the worker. Idempotent. True if nothing was left behind."""
        try:
            self._closed = True
            lifecycle.unregister(self)
            if not self._started and not self._queue:
                return True
            wait = self.config.shutdown_timeout if timeout is None else timeout
            return self._worker.stop(wait)
        except Exception as exc:  # noqa: BLE001 - never raise into the application
            self._internal_error(exc)
            return False

    def stats(self) -> dict[str, Any]:
        """Counters: queued, sent, dropped (queue full: oldest dropped), rejected (4xx), failed
        (retries exhausted or shutdown timeout), invalid (unencodable), retries, batches."""
        worker, queued = self._worker, len(self._queue)
        return {
            "queued": queued,
            "sent": worker.sent,
            "dropped": max(0, self._enqueued - worker.popped - queued),
            "rejected": worker.rejected,
            "failed": worker.failed,
            "invalid": worker.invalid,
            "retries": worker.retries,
            "batches": worker.batches,
            "internal_errors": self._internal_errors,
            "last_error": worker.last_error,
        }

    def instrument(self) -> None:
        """Capture OpenAI and Anthropic client calls (those installed) into this client."""
        from lynex.integrations import instrument  # noqa: PLC0415 - imports the provider clients

        instrument(self)

    def _after_fork_in_child(self) -> None:
        # The parent's queued events are the parent's to send; the child starts empty, with its own
        # worker (threads do not survive fork) and fresh locks (one may have been held mid-fork).
        self._reset_state()

    def _internal_error(self, exc: BaseException) -> None:
        self._internal_errors += 1
        if self._internal_errors == 1:
            log.warning("lynex internal error (reported once): %r", exc)

    def __repr__(self) -> str:
        return f"Lynex(endpoint={self.config.endpoint!r}, project_id={self.config.project_id!r})"


def enable_debug_logging() -> None:
    """Send the `lynex` logger's records, DEBUG and up, to stderr (once)."""
    if not any(getattr(h, "_lynex_debug", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s lynex %(levelname)s %(message)s"))
        handler._lynex_debug = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)
