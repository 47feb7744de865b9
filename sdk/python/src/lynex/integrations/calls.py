"""Provider-neutral instrumentation: wrap a client method, time the call, capture it when it ends.

A provider module supplies an `Adapter` (what to read from the request, the response and the stream
chunks); this module owns the wrappers (sync, async), the stream proxies and the patch registry.
Instrumentation never changes what the application gets back, and never raises into it: a failure
to read a response is counted and the call still returns (or raises) exactly as unpatched.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Callable

log = logging.getLogger("lynex")

# What the wrappers send to: set by `lynex.integrations.instrument(client)`.
_target: dict[str, Any] = {"client": None}
_patched: list[tuple[Any, str, Any]] = []

# `Omit` / `NotGiven` are the OpenAI and Anthropic clients' "argument not given" sentinels.
_SENTINELS = ("Omit", "NotGiven")


def given(value: Any) -> bool:
    return value is not None and type(value).__name__ not in _SENTINELS


class Adapter:
    """What one provider API looks like. Subclasses override the readers they need."""

    provider = "unknown"
    param_keys: tuple[str, ...] = ()

    def prompt(self, kwargs: dict[str, Any]) -> Any:  # noqa: ARG002 - overridden
        return None

    def params(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        params = {k: kwargs[k] for k in self.param_keys if k in kwargs and given(kwargs[k])}
        return params or None

    def is_stream(self, kwargs: dict[str, Any], result: Any) -> bool:  # noqa: ARG002 - overridable
        return kwargs.get("stream") is True

    def read(self, result: Any) -> tuple[str | None, Any, dict[str, int] | None]:  # noqa: ARG002
        """(model, response, tokens) from a complete response."""
        return None, None, None

    def accumulator(self) -> Accumulator:
        return Accumulator()


class Accumulator:
    """Collects a streamed response chunk by chunk."""

    def __init__(self) -> None:
        self.model: str | None = None
        self.text: list[str] = []
        self.tokens: dict[str, int] | None = None
        self.error: Any = None

    def add(self, chunk: Any) -> None:
        pass

    def response(self) -> Any:
        return {"role": "assistant", "content": "".join(self.text)} if self.text else None


class Call:
    """One instrumented call, from the request to its capture."""

    __slots__ = ("adapter", "client", "done", "kwargs", "start")

    def __init__(self, client: Any, adapter: Adapter, kwargs: dict[str, Any]) -> None:
        self.client = client
        self.adapter = adapter
        self.kwargs = kwargs
        self.start = time.perf_counter()
        self.done = False

    def capture(self, model: Any, response: Any, tokens: Any, error: Any = None) -> None:
        if self.done:
            return
        self.done = True
        latency_ms = (time.perf_counter() - self.start) * 1000
        try:
            kwargs = self.kwargs
            requested = kwargs.get("model")
            self.client.capture_llm_call(
                model=model or (requested if given(requested) else None) or "unknown",
                prompt=self.adapter.prompt(kwargs),
                response=response,
                tokens=tokens,
                latency_ms=latency_ms,
                provider=self.adapter.provider,
                status="error" if error is not None else "ok",
                error=error,
                params=self.adapter.params(kwargs),
            )
        except Exception as exc:  # noqa: BLE001 - instrumentation must not break the call
            log.debug("lynex could not capture a %s call: %r", self.adapter.provider, exc)

    def succeed(self, result: Any) -> None:
        try:
            model, response, tokens = self.adapter.read(result)
        except Exception as exc:  # noqa: BLE001 - an unexpected response shape: capture what we know
            log.debug("lynex could not read a %s response: %r", self.adapter.provider, exc)
            model, response, tokens = None, None, None
        self.capture(model, response, tokens)

    def fail(self, exc: BaseException) -> None:
        self.capture(None, None, None, error=exc)


def _begin(adapter: Adapter, kwargs: dict[str, Any]) -> Call | None:
    client = _target["client"]
    if client is None:
        return None
    try:
        return Call(client, adapter, kwargs)
    except Exception:  # noqa: BLE001 - fall back to the unpatched behaviour
        return None


def sync_wrapper(original: Callable[..., Any], adapter: Adapter) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = _begin(adapter, kwargs)
        if call is None:
            return original(self, *args, **kwargs)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        if adapter.is_stream(kwargs, result):
            return SyncStream(result, call)
        call.succeed(result)
        return result

    return wrapper


def async_wrapper(original: Callable[..., Any], adapter: Adapter) -> Callable[..., Any]:
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = _begin(adapter, kwargs)
        if call is None:
            return await original(self, *args, **kwargs)
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        if adapter.is_stream(kwargs, result):
            return AsyncStream(result, call)
        call.succeed(result)
        return result

    return wrapper


class _StreamBase:
    """Shared by the proxies: everything not overridden goes to the provider's stream object."""

    def __init__(self, stream: Any, call: Call) -> None:
        self._lynex_stream = stream
        self._lynex_call = call
        self._lynex_acc = call.adapter.accumulator()

    def _lynex_add(self, chunk: Any) -> None:
        try:
            self._lynex_acc.add(chunk)
        except Exception as exc:  # noqa: BLE001 - an unexpected chunk shape
            log.debug("lynex could not read a stream chunk: %r", exc)

    def _lynex_finish(self, error: Any = None) -> None:
        call = self._lynex_call
        if call.done:
            return
        acc = self._lynex_acc
        try:
            response = acc.response()
        except Exception:  # noqa: BLE001
            response = None
        call.capture(acc.model, response, acc.tokens, error=error if error is not None else acc.error)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_lynex_"):  # not set yet: __init__ did not finish
            raise AttributeError(name)
        return getattr(self._lynex_stream, name)

    def __del__(self) -> None:
        # A stream abandoned half-read is still captured, with what was read, when it is collected.
        with contextlib.suppress(Exception):  # nothing can be reported from a finalizer
            self._lynex_finish()


class SyncStream(_StreamBase):
    def __iter__(self) -> SyncStream:
        return self

    def __next__(self) -> Any:
        try:
            chunk = next(self._lynex_stream)
        except StopIteration:
            self._lynex_finish()
            raise
        except BaseException as exc:
            self._lynex_finish(exc)
            raise
        self._lynex_add(chunk)
        return chunk

    def __enter__(self) -> SyncStream:
        self._lynex_stream.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self._lynex_stream.__exit__(exc_type, exc, tb)
        finally:
            self._lynex_finish(exc)

    def close(self) -> None:
        try:
            self._lynex_stream.close()
        finally:
            self._lynex_finish()


class AsyncStream(_StreamBase):
    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._lynex_stream.__anext__()
        except StopAsyncIteration:
            self._lynex_finish()
            raise
        except BaseException as exc:
            self._lynex_finish(exc)
            raise
        self._lynex_add(chunk)
        return chunk

    async def __aenter__(self) -> AsyncStream:
        await self._lynex_stream.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self._lynex_stream.__aexit__(exc_type, exc, tb)
        finally:
            self._lynex_finish(exc)

    async def close(self) -> None:
        try:
            await self._lynex_stream.close()
        finally:
            self._lynex_finish()


def patch(owner: Any, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Replace `owner.name` with `make(original)` once; `unpatch_all()` puts every original back."""
    original = owner.__dict__.get(name)
    if original is None or getattr(original, "__lynex_original__", None) is not None:
        return
    wrapper = make(original)
    wrapper.__lynex_original__ = original  # type: ignore[attr-defined]
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        with contextlib.suppress(AttributeError, TypeError):
            setattr(wrapper, attr, getattr(original, attr))
    setattr(owner, name, wrapper)
    _patched.append((owner, name, original))


def unpatch_all() -> None:
    while _patched:
        owner, name, original = _patched.pop()
        setattr(owner, name, original)
