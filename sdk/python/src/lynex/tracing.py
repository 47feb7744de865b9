"""Spans: `with span("name"):` and `@trace`, sync and async, linked through a context variable.

The current (trace id, span id) lives in a `ContextVar`, so it follows threads' and asyncio tasks'
own contexts; an LLM call captured inside a span gets its traceId and parentSpanId from it.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
from contextvars import ContextVar, Token
from typing import Any, Callable, Tuple, TypeVar

from lynex.wire import SPAN

SpanContext = Tuple[str, str]  # (trace id, span id)
Emit = Callable[[Tuple[Any, ...]], None]
F = TypeVar("F", bound=Callable[..., Any])

_current: ContextVar[SpanContext | None] = ContextVar("lynex_span", default=None)


def current_span_context() -> SpanContext | None:
    """(trace id, span id) of the innermost open span in this thread or task, or None."""
    return _current.get()


def new_trace_id() -> str:
    return os.urandom(16).hex()


def new_span_id() -> str:
    return os.urandom(8).hex()


class Span:
    """One timed operation. Use as a (sync or async) context manager; it is sent when it ends."""

    __slots__ = (
        "_emit",
        "_token",
        "attributes",
        "name",
        "parent_span_id",
        "span_id",
        "start",
        "status",
        "trace_id",
    )

    def __init__(self, emit: Emit, name: str, attributes: dict[str, Any] | None = None) -> None:
        self._emit = emit
        self.name = name
        self.attributes: dict[str, Any] = dict(attributes) if attributes else {}
        self.status = "ok"
        self.trace_id = ""
        self.span_id = ""
        self.parent_span_id: str | None = None
        self.start = 0.0
        self._token: Token[SpanContext | None] | None = None

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def set_status(self, status: str) -> None:
        """ "ok", "error" or "unset"."""
        self.status = status

    def __enter__(self) -> Span:
        parent = _current.get()
        if parent is None:
            self.trace_id = new_trace_id()
        else:
            self.trace_id, self.parent_span_id = parent
        self.span_id = new_span_id()
        self.start = time.time()
        self._token = _current.set((self.trace_id, self.span_id))
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        end = time.time()
        try:
            if self._token is not None:
                _current.reset(self._token)
        except ValueError:  # exited in another context than entered (an async generator...)
            _current.set((self.trace_id, self.parent_span_id) if self.parent_span_id else None)
        if exc is not None:
            self.status = "error"
            self.attributes.setdefault("error.type", type(exc).__name__)
        record = (SPAN, end, None, None, None, self.trace_id, self.span_id, self.parent_span_id)
        self._emit((*record, self.name, self.start, end, self.status, self.attributes or None))

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)


def trace_decorator(
    span_factory: Callable[[str], Span], func: Callable[..., Any] | str | None, name: str | None
) -> Any:
    """`@trace`, `@trace("name")` or `@trace(name="name")` around a sync or async function."""
    if isinstance(func, str):
        func, name = None, func

    def decorate(fn: F) -> F:
        span_name = str(name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "function"))
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with span_factory(span_name):
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with span_factory(span_name):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
