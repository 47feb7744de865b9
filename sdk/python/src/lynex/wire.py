"""Captured records -> wire events (contract v1, camelCase JSON), built on the worker thread.

The caller's thread only stores a tuple (see `client.py`); everything that costs time happens here:
the event id, the ISO timestamp, coercing user input into the contract's types and limits, JSON.
An event that leaves this module is valid against `contracts/schema/event.v1.json`: a 422 from the
gateway would drop the whole batch, so bad input is truncated or coerced here instead.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
import os
import time
import traceback
from collections.abc import Mapping
from typing import Any

from lynex._version import __version__

# Record kinds: the first item of every captured tuple.
LLM_CALL, LOG, ERROR, SPAN, CUSTOM = "llm_call", "log", "error", "span", "custom"
# Items 1-4 of every record: when it was captured (epoch seconds: batching ages by it), the span
# context (trace id, span id) or None, the event's own context or None, and the event's timestamp
# if the caller gave one (else the capture time is the timestamp). The rest depends on the kind.

LOG_LEVELS = frozenset({"trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"})
_LEVEL_ALIASES = {"exception": "error", "notset": "debug", "verbose": "trace", "err": "error"}
_NUMERIC_LEVELS = ((50, "critical"), (40, "error"), (30, "warning"), (20, "info"), (10, "debug"))
_CONTEXT_KEYS = {
    "env": ("env", 64),
    "environment": ("env", 64),
    "user_id": ("userId", 256),
    "userId": ("userId", 256),
    "session_id": ("sessionId", 256),
    "sessionId": ("sessionId", 256),
    "release": ("release", 128),
}
NAME_MAX, ID_MAX, ROLE_MAX, TAG_MAX, COUNT_MAX = 256, 128, 64, 256, 1_000_000_000_000


def _is_map(value: Any) -> bool:
    # dict first: an ABC isinstance check costs ~10x more, and this runs several times per event
    return type(value) is dict or isinstance(value, Mapping)


SDK_NAME = "lynex-python"


class EventIds:
    """Random (version 4) UUIDs from the OS's generator, read 4 KiB at a time: one os.urandom call
    costs ~3 us, more than the rest of an id. One instance per worker, so a forked child (which
    gets a new worker) never reuses its parent's random bytes."""

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def new(self) -> str:
        at = self._at
        if at + 16 > len(self._pool):
            self._pool, at = os.urandom(4096), 0
        self._at = at + 16
        raw = bytearray(self._pool[at : at + 16])
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_event_id() -> str:
    return EventIds().new()


def to_epoch(value: Any) -> float:
    """A user-given timestamp (epoch seconds, datetime -- naive is UTC --, ISO string) -> epoch."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, _dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        return moment.timestamp()
    raise TypeError(f"timestamp must be epoch seconds, a datetime or an ISO string, not {type(value)}")


_last_second: list[Any] = [None, ""]  # (second, its formatted prefix): a batch mostly shares seconds


def iso_time(epoch: float) -> str:
    """Epoch seconds -> ISO 8601 in UTC with microseconds and `Z`."""
    seconds = int(epoch // 1)
    micros = round((epoch - seconds) * 1_000_000)
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    cached = _last_second
    if cached[0] != seconds:
        cached[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        cached[0] = seconds
    return f"{cached[1]}.{micros:06d}Z"


class EventBuilder:
    """Turns records into encoded events for one client (its SDK info, project and default context)."""

    def __init__(
        self,
        project_id: str | None,
        default_context: Mapping[str, Any],
        capture_content: bool,
    ) -> None:
        self._project_id = project_id
        self._capture_content = capture_content
        self._default_context = _context(default_context, None) or {}
        self._sdk = {"name": SDK_NAME, "version": __version__}
        self._ids = EventIds()

    def build(self, record: tuple[Any, ...]) -> dict[str, Any]:
        kind, span_ctx, context = record[0], record[2], record[3]
        ts = record[1] if record[4] is None else record[4]
        if kind == LLM_CALL:
            body = self._llm_call(record, span_ctx)
            span_ctx = None  # carried in the body's own traceId / parentSpanId fields
        elif kind == LOG:
            body = _log(record)
        elif kind == ERROR:
            body = _error(record)
        elif kind == SPAN:
            body = _span(record)
            span_ctx = None
        else:
            body = _attributes(record[5]) or {}
        event: dict[str, Any] = {
            "eventId": self._ids.new(),
            "type": kind,
            "timestamp": iso_time(ts),
            "sdk": self._sdk,
        }
        if self._project_id:
            event["projectId"] = self._project_id
        merged = _context(context, self._default_context) if context is not None else self._context_copy()
        if span_ctx is not None:
            merged = dict(merged or {})
            attributes = dict(merged.get("attributes") or {})
            attributes.setdefault("traceId", span_ctx[0])
            attributes.setdefault("spanId", span_ctx[1])
            merged["attributes"] = attributes
        if merged:
            event["context"] = merged
        event["body"] = body
        return event

    def _context_copy(self) -> dict[str, Any] | None:
        return dict(self._default_context) if self._default_context else None

    def _llm_call(self, r: tuple[Any, ...], span_ctx: tuple[str, str] | None) -> dict[str, Any]:
        (model, prompt, response, tokens, latency_ms, provider, status, error, params, cost_usd) = r[5:15]
        trace_id, span_id, parent_span_id = r[15:18]
        # The common case (str model, dict tokens, float latency) takes the short branches below.
        if type(model) is str and 0 < len(model) <= NAME_MAX and not model.isspace():
            body: dict[str, Any] = {"model": model}
        else:
            body = {"model": _name(model, "unknown")}
        if provider is not None:
            body["provider"] = _name(provider, "unknown")
        if self._capture_content:
            if prompt is not None:
                body["prompt"] = _prompt(prompt)
            if response is not None:
                body["response"] = _response(response)
        body["tokens"] = _tokens(tokens)
        if type(latency_ms) is float and 0 <= latency_ms < math.inf:
            body["latencyMs"] = latency_ms
        elif latency_ms is not None:
            latency = _non_negative(latency_ms)
            if latency is not None:
                body["latencyMs"] = latency
        _outcome(body, status, error, params, cost_usd)
        if span_ctx is not None:
            trace_id = trace_id or span_ctx[0]
            parent_span_id = parent_span_id or span_ctx[1]
        if trace_id or span_id or parent_span_id:
            _trace_ids(body, trace_id, span_id, parent_span_id)
        return body


def _outcome(body: dict[str, Any], status: Any, error: Any, params: Any, cost_usd: Any) -> None:
    """status (an error makes it "error" unless said otherwise), error, params, costUsd."""
    if error is None:
        body["status"] = "error" if status == "error" else "ok"
    else:
        body["status"] = "ok" if status == "ok" else "error"
        body["error"] = _error_info(error)
    if params is not None and _is_map(params):
        body["params"] = {str(k): v for k, v in params.items()}
    if cost_usd is not None:
        cost = _non_negative(cost_usd)
        if cost is not None:
            body["costUsd"] = cost


def _trace_ids(body: dict[str, Any], trace_id: Any, span_id: Any, parent_span_id: Any) -> None:
    for key, value in (("traceId", trace_id), ("spanId", span_id), ("parentSpanId", parent_span_id)):
        if value:
            body[key] = _truncate(str(value), ID_MAX)


def _log(r: tuple[Any, ...]) -> dict[str, Any]:
    level, message, attributes = r[5], r[6], r[7]
    body: dict[str, Any] = {"level": log_level(level), "message": _text(message)}
    attrs = _attributes(attributes)
    if attrs:
        body["attributes"] = attrs
    return body


def _error(r: tuple[Any, ...]) -> dict[str, Any]:
    exc_or_message, error_type, stack, handled = r[5], r[6], r[7], r[8]
    if isinstance(exc_or_message, BaseException):
        exc = exc_or_message
        body: dict[str, Any] = {"errorType": _name(error_type or type(exc).__name__, "Error")}
        body["message"] = _text(exc)
        if stack is None and exc.__traceback__ is not None:
            stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    else:
        body = {"errorType": _name(error_type, "Error"), "message": _text(exc_or_message)}
    if stack:
        body["stack"] = stack if isinstance(stack, str) else "".join(map(str, stack))
    if handled is not None:
        body["handled"] = bool(handled)
    return body


def _span(r: tuple[Any, ...]) -> dict[str, Any]:
    trace_id, span_id, parent_span_id, name, start, end, status, attributes = r[5:13]
    body: dict[str, Any] = {
        "traceId": _truncate(str(trace_id), ID_MAX) or "0",
        "spanId": _truncate(str(span_id), ID_MAX) or "0",
        "name": _name(name, "span"),
        "startTime": iso_time(start),
        "endTime": iso_time(end),
        "status": status if status in ("ok", "error", "unset") else "unset",
    }
    if parent_span_id:
        body["parentSpanId"] = _truncate(str(parent_span_id), ID_MAX)
    attrs = _attributes(attributes)
    if attrs:
        body["attributes"] = attrs
    return body


def log_level(level: Any) -> str:
    if isinstance(level, int) and not isinstance(level, bool):
        return next((name for floor, name in _NUMERIC_LEVELS if level >= floor), "trace")
    text = str(level).strip().lower()
    text = _LEVEL_ALIASES.get(text, text)
    return text if text in LOG_LEVELS else "info"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def _name(value: Any, fallback: str) -> str:
    text = _truncate(str(value), NAME_MAX) if value is not None else ""
    return text if text.strip() else fallback


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ in user code must not lose the event
        return f"<{type(value).__name__}>"


def _non_negative(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _count(value: Any) -> int:
    if type(value) is int and 0 <= value <= COUNT_MAX:
        return value
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return min(COUNT_MAX, max(0, number))


_TOKEN_KEYS = {
    "input": ("input", "input_tokens", "prompt_tokens", "inputTokens", "promptTokens"),
    "output": ("output", "output_tokens", "completion_tokens", "outputTokens", "completionTokens"),
    "cached": ("cached", "cached_tokens", "cache_read_input_tokens", "cachedTokens"),
    "reasoning": ("reasoning", "reasoning_tokens", "reasoningTokens"),
}


def _tokens(tokens: Any) -> dict[str, int]:
    if type(tokens) is dict and len(tokens) == 2:  # {"input": n, "output": n}: the usual case
        n_in, n_out = tokens.get("input"), tokens.get("output")
        if type(n_in) is int and type(n_out) is int and 0 <= n_in <= COUNT_MAX and 0 <= n_out <= COUNT_MAX:
            return {"input": n_in, "output": n_out}
    out = {"input": 0, "output": 0}
    if _is_map(tokens):
        for field, aliases in _TOKEN_KEYS.items():
            value = tokens.get(field)  # the contract's own name first: one lookup when it is used
            if value is None:
                for alias in aliases:
                    value = tokens.get(alias)
                    if value is not None:
                        break
            if value is not None:
                out[field] = _count(value)
    elif isinstance(tokens, (tuple, list)) and len(tokens) >= 2:
        out["input"], out["output"] = _count(tokens[0]), _count(tokens[1])
    return out


def _plain(value: Any) -> Any:
    """A pydantic model (the OpenAI/Anthropic clients' types) or a dataclass as a plain dict."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return dump(exclude_none=True)
        except Exception:  # noqa: BLE001 - fall back to str() below
            return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _message(value: Any) -> dict[str, Any]:
    if type(value) is dict:
        role, content = value.get("role"), value.get("content")
        if (
            type(role) is str
            and 0 < len(role) <= ROLE_MAX
            and type(content) is str
            and len(value) == 2  # {"role", "content"} only: the usual chat message
        ):
            return value
    value = _plain(value)
    if not _is_map(value):
        return {"role": "user", "content": _text(value)}
    role = _truncate(str(value.get("role") or "user"), ROLE_MAX) or "user"
    message: dict[str, Any] = {"role": role}
    content = value.get("content")
    if content is not None:
        message["content"] = content if isinstance(content, (str, list)) else _text(content)
    if value.get("name") is not None:
        message["name"] = _truncate(str(value["name"]), NAME_MAX)
    tool_calls = value.get("tool_calls", value.get("toolCalls"))
    if isinstance(tool_calls, (list, tuple)):
        message["toolCalls"] = list(tool_calls)
    return message


def _prompt(prompt: Any) -> Any:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)):
        return [_message(m) for m in prompt]
    plain = _plain(prompt)
    if _is_map(plain):
        return [_message(plain)]
    return _text(prompt)


def _response(response: Any) -> Any:
    if isinstance(response, str):
        return response
    if isinstance(response, (list, tuple)):
        return [_message(m) for m in response]
    plain = _plain(response)
    if _is_map(plain) and "role" in plain:
        return _message(plain)
    return _text(response)


def _error_info(error: Any) -> dict[str, str]:
    if isinstance(error, BaseException):
        return {"type": _name(type(error).__name__, "Error"), "message": _text(error)}
    if _is_map(error):
        return {"type": _name(error.get("type"), "Error"), "message": _text(error.get("message", ""))}
    return {"type": "Error", "message": _text(error)}


def _attributes(value: Any) -> dict[str, Any] | None:
    if not _is_map(value) or not value:
        return None
    return {str(k): v for k, v in value.items()}


def _context(context: Any, defaults: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Merge the event's context over the client's: well-known keys typed, the rest in attributes."""
    if not _is_map(context) or not context:
        return dict(defaults) if defaults else None
    out: dict[str, Any] = dict(defaults) if defaults else {}
    tags: dict[str, str] = dict(out.get("tags") or {})
    attributes: dict[str, Any] = dict(out.get("attributes") or {})
    for key, value in context.items():
        if value is None:
            continue
        if key in _CONTEXT_KEYS:
            wire_key, limit = _CONTEXT_KEYS[key]
            out[wire_key] = _truncate(str(value), limit)
        elif key == "tags" and _is_map(value):
            tags.update({str(k): _truncate(str(v), TAG_MAX) for k, v in value.items()})
        elif key == "attributes" and _is_map(value):
            attributes.update({str(k): v for k, v in value.items()})
        else:
            attributes[str(key)] = value
    if tags:
        out["tags"] = tags
    if attributes:
        out["attributes"] = attributes
    return out or None


# -- JSON ------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    """Whatever json cannot encode by itself becomes something it can; never raises."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    plain = _plain(value)
    if plain is not value:
        return plain
    return _text(value)


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), skipkeys=True, default=_json_default
)


def _finite(value: Any, depth: int = 0) -> Any:
    """A copy with NaN/Infinity replaced by None and cycles cut, for the rare event json refused."""
    if depth > 32:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _is_map(value):
        return {str(k): _finite(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_finite(v, depth + 1) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    converted = _json_default(value)
    return _text(converted) if converted is value else _finite(converted, depth + 1)


def encode_event(event: dict[str, Any]) -> bytes:
    """One event as compact UTF-8 JSON; NaN, Infinity and reference cycles are repaired, not refused."""
    try:
        return _ENCODER.encode(event).encode("utf-8", "replace")
    except (ValueError, TypeError, RecursionError):
        return _ENCODER.encode(_finite(event)).encode("utf-8", "replace")


def encode_batch(parts: list[bytes]) -> bytes:
    return b'{"events":[' + b",".join(parts) + b"]}"
