"""Lynex SDK: send LLM calls, logs, errors and spans to a Lynex gateway.

    import lynex
    lynex.init(api_key="sk_live_...", endpoint="http://127.0.0.1:8000")   # or LYNEX_* env vars
    lynex.capture_llm_call(model="gpt-4o-mini", prompt="Hi", response="Hello!",
                           tokens={"input": 3, "output": 2}, latency_ms=210)

`init()` also instruments the OpenAI and Anthropic clients if they are installed. Events are
batched and sent by a background thread; nothing here raises into the application.
"""

from __future__ import annotations

from typing import Any, Mapping

from lynex._version import __version__
from lynex.client import Lynex, enable_debug_logging
from lynex.logging_handler import LynexHandler
from lynex.tracing import Span, current_span_context, trace_decorator

__all__ = [
    "Lynex",
    "LynexHandler",
    "Span",
    "__version__",
    "capture_error",
    "capture_llm_call",
    "current_span_context",
    "enable_debug_logging",
    "flush",
    "get_client",
    "init",
    "log",
    "shutdown",
    "span",
    "stats",
    "trace",
]

_default: dict[str, Lynex | None] = {"client": None}


def init(
    api_key: str | None = None,
    project_id: str | None = None,
    endpoint: str | None = None,
    *,
    instrument: bool = True,
    **options: Any,
) -> Lynex:
    """Create the default client (replacing, and shutting down, a previous one) and return it.

    Unset `api_key` / `project_id` / `endpoint` come from LYNEX_API_KEY / LYNEX_PROJECT_ID /
    LYNEX_ENDPOINT. Other options: see `lynex.config.Config` (flush_at, flush_interval,
    max_queue_size, max_retries, shutdown_timeout, capture_content, environment, debug...).
    `instrument=False` leaves the OpenAI and Anthropic clients alone.
    """
    client = Lynex(api_key, project_id, endpoint, **options)
    previous, _default["client"] = _default["client"], client
    if previous is not None:
        previous.shutdown()
    if instrument:
        client.instrument()
    return client


def get_client() -> Lynex | None:
    """The client `init()` made, or None."""
    return _default["client"]


def capture_llm_call(
    model: str | None = None,
    prompt: Any = None,
    response: Any = None,
    tokens: Any = None,
    latency_ms: float | None = None,
    **kwargs: Any,
) -> None:
    """Record one LLM call with the default client; see `Lynex.capture_llm_call`."""
    client = _default["client"]
    if client is not None:
        client.capture_llm_call(model, prompt, response, tokens, latency_ms, **kwargs)


def capture_error(error: BaseException | str | None = None, **kwargs: Any) -> None:
    """Record an exception or an error message; see `Lynex.capture_error`."""
    client = _default["client"]
    if client is not None:
        if error is None:
            import sys  # noqa: PLC0415 - only on this rare path

            error = sys.exc_info()[1]
        client.capture_error(error, **kwargs)


def log(level: str | int, message: str, attributes: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Record a log line; see `Lynex.log`."""
    client = _default["client"]
    if client is not None:
        client.log(level, message, attributes, **kwargs)


def _emit(record: Any) -> None:
    client = _default["client"]
    if client is not None:
        client._enqueue(record)


def span(name: str, **attributes: Any) -> Span:
    """`with lynex.span("retrieve", k=5):` times the block and sends a span (default client)."""
    return Span(_emit, name, attributes)


def trace(func: Any = None, *, name: str | None = None) -> Any:
    """`@lynex.trace` / `@lynex.trace("name")`: a span around each call, sync or async."""
    return trace_decorator(span, func, name)


def flush(timeout: float | None = None) -> bool:
    """Wait until everything captured so far was sent; see `Lynex.flush`."""
    client = _default["client"]
    return True if client is None else client.flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Deliver what is queued (at most `timeout` s) and stop; see `Lynex.shutdown`."""
    client = _default["client"]
    return True if client is None else client.shutdown(timeout)


def stats() -> dict[str, Any]:
    """The default client's counters (sent, dropped, rejected, failed...); see `Lynex.stats`."""
    client = _default["client"]
    return {} if client is None else client.stats()
