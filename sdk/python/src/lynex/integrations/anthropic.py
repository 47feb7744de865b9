"""Anthropic Python client: `messages.create` (streamed or not) and `messages.stream`, sync and async.

Tokens follow the Lynex contract: `input` counts every prompt token, so Anthropic's
`cache_read_input_tokens` and `cache_creation_input_tokens` are added to its `input_tokens`, and
`cached` is the cache-read part.
"""

from __future__ import annotations

import time
from typing import Any

from lynex.integrations.calls import (
    Accumulator,
    Adapter,
    AsyncStream,
    Call,
    SyncStream,
    _target,
    async_wrapper,
    patch,
    sync_wrapper,
)

_PARAMS = ("max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "thinking", "stream")


def _tokens(usage: Any, previous: dict[str, int] | None = None) -> dict[str, int] | None:
    if usage is None:
        return previous
    tokens = dict(previous or {"input": 0, "output": 0})
    base = getattr(usage, "input_tokens", None)
    cache_read = getattr(usage, "cache_read_input_tokens", None)
    cache_write = getattr(usage, "cache_creation_input_tokens", None)
    if base is not None or cache_read is not None or cache_write is not None:
        tokens["input"] = (base or 0) + (cache_read or 0) + (cache_write or 0)
        if cache_read is not None:
            tokens["cached"] = cache_read
    output = getattr(usage, "output_tokens", None)
    if output is not None:
        tokens["output"] = output
    return tokens


def _content(blocks: Any) -> Any:
    """Text blocks joined into one string; anything else (tool use, thinking) kept as blocks."""
    blocks = list(blocks or [])
    if blocks and all(getattr(b, "type", None) == "text" for b in blocks):
        return "".join(getattr(b, "text", "") for b in blocks)
    return blocks


class MessagesAdapter(Adapter):
    provider = "anthropic"
    param_keys = _PARAMS

    def prompt(self, kwargs: dict[str, Any]) -> Any:
        messages = kwargs.get("messages")
        messages = list(messages) if isinstance(messages, (list, tuple)) else []
        system = kwargs.get("system")
        if isinstance(system, (str, list)):
            messages = [{"role": "system", "content": system}, *messages]
        return messages or None

    def read(self, result: Any) -> tuple[str | None, Any, dict[str, int] | None]:
        response = {
            "role": getattr(result, "role", "assistant"),
            "content": _content(getattr(result, "content", None)),
        }
        return getattr(result, "model", None), response, _tokens(getattr(result, "usage", None))

    def accumulator(self) -> Accumulator:
        return MessagesAccumulator()


class MessagesAccumulator(Accumulator):
    def add(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "message_start":
            message = getattr(event, "message", None)
            self.model = getattr(message, "model", None) or self.model
            self.tokens = _tokens(getattr(message, "usage", None), self.tokens)
        elif kind == "content_block_delta":
            delta = getattr(event, "delta", None)
            if getattr(delta, "type", None) == "text_delta":
                self.text.append(getattr(delta, "text", "") or "")
        elif kind == "message_delta":
            self.tokens = _tokens(getattr(event, "usage", None), self.tokens)


class _StreamManager:
    """Wraps `messages.stream(...)`: the helper's own stream reads our proxy of the raw event stream."""

    def __init__(self, manager: Any, call: Call | None) -> None:
        self._manager = manager
        self._call = call

    def _wrap(self, stream: Any, proxy: Any) -> Any:
        raw = getattr(stream, "_raw_stream", None)
        if self._call is not None and raw is not None:
            stream._raw_stream = proxy(raw, self._call)
        return stream

    def __enter__(self) -> Any:
        if self._call is not None:
            self._call.start = time.perf_counter()  # the request is made here, not by stream()
        try:
            stream = self._manager.__enter__()
        except BaseException as exc:
            if self._call is not None:
                self._call.fail(exc)
            raise
        return self._wrap(stream, SyncStream)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self._manager.__exit__(exc_type, exc, tb)
        finally:
            if self._call is not None and exc is not None:
                self._call.fail(exc)

    async def __aenter__(self) -> Any:
        if self._call is not None:
            self._call.start = time.perf_counter()
        try:
            stream = await self._manager.__aenter__()
        except BaseException as exc:
            if self._call is not None:
                self._call.fail(exc)
            raise
        return self._wrap(stream, AsyncStream)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self._manager.__aexit__(exc_type, exc, tb)
        finally:
            if self._call is not None and exc is not None:
                self._call.fail(exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


def _stream_helper(original: Any, adapter: Adapter) -> Any:
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        client = _target["client"]
        return _StreamManager(manager, Call(client, adapter, kwargs) if client is not None else None)

    return stream


def instrument() -> bool:
    """Patch the installed `anthropic` package; False if it is not installed."""
    try:
        from anthropic.resources.messages import messages  # noqa: PLC0415
    except ImportError:
        return False
    adapter = MessagesAdapter()
    patch(messages.Messages, "create", lambda original: sync_wrapper(original, adapter))
    patch(messages.AsyncMessages, "create", lambda original: async_wrapper(original, adapter))
    patch(messages.Messages, "stream", lambda original: _stream_helper(original, adapter))
    patch(messages.AsyncMessages, "stream", lambda original: _stream_helper(original, adapter))
    return True
