"""Event contract v1: what an SDK sends to the gateway, one msgspec Struct per event `type`.

Evolution rules: every Struct is frozen; a new field always gets a default; a field's type never
changes; a removed field is only ever ignored, never reused with another meaning.

Limits beyond the field types (contracts/limits.py; the gateway enforces them): a request body is at
most 5 MiB after gzip decompression and nests at most 64 levels of arrays/objects; each event is at most
4.5 MiB as the gateway encodes it; a batch holds 1 to 1,000 events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

SCHEMA_VERSION = 1

# Bounded strings keep one event from carrying megabytes in a field that is indexed or displayed.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
ProjectId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

LogLevel = Literal["trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"]
Status = Literal["ok", "error"]
SpanStatus = Literal["ok", "error", "unset"]


class _Wire(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True, kw_only=True, gc=False):
    """Base of every wire Struct: camelCase names, immutable, defaults left out when encoding.

    gc=False: decoded from JSON, these never take part in a reference cycle, and leaving them out of
    the garbage collector's tracking halved decode cost in the gateway (profiled under bench/).
    """


class SdkInfo(_Wire, frozen=True):
    name: Name
    version: Annotated[str, msgspec.Meta(max_length=64)] = ""


class Context(_Wire, frozen=True):
    """Who and where: well-known keys are typed; anything else goes in `attributes`."""

    env: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    user_id: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    session_id: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    release: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    tags: dict[str, Annotated[str, msgspec.Meta(max_length=256)]] = {}
    attributes: dict[str, Any] = {}


class Tokens(_Wire, frozen=True):
    input: Count = 0
    output: Count = 0
    cached: Count | None = None
    reasoning: Count | None = None


class ChatMessage(_Wire, frozen=True):
    role: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Text, or a list of content parts (images, tool results...) kept as sent.
    content: str | list[Any] | None = None
    name: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    tool_calls: list[Any] | None = None


class ErrorInfo(_Wire, frozen=True):
    type: Name
    message: str = ""


# -- bodies -----------------------------------------------------------------------------------------


class LlmCallBody(_Wire, frozen=True):
    model: Name
    provider: Name | None = None
    prompt: str | list[ChatMessage] | None = None
    response: str | ChatMessage | list[ChatMessage] | None = None
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    latency_ms: NonNegative | None = None
    status: Status = "ok"
    error: ErrorInfo | None = None
    params: dict[str, Any] | None = None
    # A cost computed by the client wins over the server's price table.
    cost_usd: NonNegative | None = None
    trace_id: Id | None = None
    span_id: Id | None = None
    parent_span_id: Id | None = None


class TokenUsageBody(_Wire, frozen=True):
    model: Name
    tokens: Tokens
    provider: Name | None = None
    cost_usd: NonNegative | None = None


class LogBody(_Wire, frozen=True):
    level: LogLevel
    message: str
    attributes: dict[str, Any] | None = None


class ErrorBody(_Wire, frozen=True):
    error_type: Name
    message: str
    stack: str | None = None
    handled: bool | None = None


class SpanBody(_Wire, frozen=True):
    trace_id: Id
    span_id: Id
    name: Name
    start_time: AwareDatetime
    end_time: AwareDatetime
    status: SpanStatus = "ok"
    parent_span_id: Id | None = None
    attributes: dict[str, Any] | None = None


# -- events: one Struct per type, tagged by the `type` field ----------------------------------------


class _EventBase(_Wire, frozen=True, tag_field="type"):
    # Generated when absent; SDKs send their own so that a retried request deduplicates downstream.
    event_id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    # Absent: the gateway fills in the API key's project.
    project_id: ProjectId | None = None
    # Absent: the time the gateway received it.
    timestamp: AwareDatetime | None = None
    sdk: SdkInfo | None = None
    context: Context | None = None


class LlmCallEvent(_EventBase, frozen=True, tag="llm_call", kw_only=True):
    body: LlmCallBody


class TokenUsageEvent(_EventBase, frozen=True, tag="token_usage", kw_only=True):
    body: TokenUsageBody


class LogEvent(_EventBase, frozen=True, tag="log", kw_only=True):
    body: LogBody


class ErrorEvent(_EventBase, frozen=True, tag="error", kw_only=True):
    body: ErrorBody


class SpanEvent(_EventBase, frozen=True, tag="span", kw_only=True):
    body: SpanBody


class CustomEvent(_EventBase, frozen=True, tag="custom", kw_only=True):
    body: dict[str, Any]


Event = LlmCallEvent | TokenUsageEvent | LogEvent | ErrorEvent | SpanEvent | CustomEvent
EVENT_TYPES: tuple[str, ...] = ("llm_call", "token_usage", "log", "error", "span", "custom")


MAX_BATCH_EVENTS = 1000


class EventBatch(_Wire, frozen=True):
    """The batch form of `POST /api/v1/events`: 1 to 1,000 events."""

    events: Annotated[list[Event], msgspec.Meta(min_length=1, max_length=MAX_BATCH_EVENTS)]


class RawEnvelope(_Wire, frozen=True):
    """One gateway request as one Kafka record on `events.raw`, keyed by project id.

    Every event in it already carries the project id; `received_at` and `key_id` are stamped by
    the gateway. One record per request instead of per event: producing measured ~1.7x cheaper.
    """

    project_id: ProjectId
    key_id: str
    received_at: AwareDatetime
    events: list[Event]
    v: int = SCHEMA_VERSION
