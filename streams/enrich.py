"""Enrichment, pure: a raw envelope in, one ClickHouse-shaped row per event out.

Timestamps: every timestamp is stored in UTC. A client timestamp more than `MAX_FUTURE` ahead of the
gateway's receive time, or older than the retention window (the TTL would delete it at once), is
replaced by the receive time and the row is flagged `timestamp_adjusted = 1`; the original stays in
`body`/JSON. Everything else is kept as the client sent it, so late or backfilled events land where
they belong.

Size: an enriched envelope whose encoding is over `contracts.limits.MAX_RECORD_BYTES` is written as
several records (`encode_records`), events in order, so a request the gateway accepted always fits the
enriched topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from contracts.enriched import EnrichedEnvelope, EnrichedEvent, encode_enriched
from contracts.events import (
    ErrorEvent,
    Event,
    LlmCallEvent,
    LogEvent,
    RawEnvelope,
    SpanEvent,
    TokenUsageEvent,
)
from streams.errors import InvalidRecord
from streams.pricing import PriceTable, estimate_cost

MAX_FUTURE = timedelta(minutes=5)
ERROR_LEVELS = frozenset({"error", "fatal", "critical"})
_encoder = msgspec.json.Encoder()

# Provider inferred from the model id when the client did not say.
_PROVIDER_PREFIXES = (
    ("gpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("chatgpt", "openai"),
    ("text-embedding", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("mistral", "mistral"),
    ("codestral", "mistral"),
    ("ministral", "mistral"),
    ("pixtral", "mistral"),
    ("open-mistral", "mistral"),
    ("magistral", "mistral"),
)


@dataclass
class EnrichStats:
    """What one envelope taught us, for metrics."""

    events: int = 0
    unknown_model: int = 0
    timestamps_adjusted: int = 0


def infer_provider(model: str) -> str:
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, provider in _PROVIDER_PREFIXES:
        if name.startswith(prefix):
            return provider
    return ""


def normalize_timestamp(
    timestamp: datetime | None, received_at: datetime, retention: timedelta
) -> tuple[datetime, bool]:
    """(UTC timestamp, adjusted?) following the policy in the module docstring."""
    received = received_at.astimezone(UTC)
    if timestamp is None:
        return received, False
    ts = timestamp.astimezone(UTC)
    if ts > received + MAX_FUTURE or ts < received - retention:
        return received, True
    return ts, False


def enrich_envelope(
    envelope: RawEnvelope, prices: PriceTable, retention_days: int
) -> tuple[EnrichedEnvelope, EnrichStats]:
    stats = EnrichStats()
    retention = timedelta(days=retention_days)
    rows = [_enrich(event, envelope, prices, retention, stats) for event in envelope.events]
    stats.events = len(rows)
    return EnrichedEnvelope(project_id=envelope.project_id, events=rows), stats


def _enrich(
    event: Event, envelope: RawEnvelope, prices: PriceTable, retention: timedelta, stats: EnrichStats
) -> EnrichedEvent:
    timestamp, adjusted = normalize_timestamp(event.timestamp, envelope.received_at, retention)
    stats.timestamps_adjusted += adjusted
    ctx = event.context
    fields: dict[str, object] = {
        "model": "",
        "provider": "",
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": None,
        "cost_source": "",
        "latency_ms": None,
        "status": "",
        "error_type": "",
        "level": "",
        "trace_id": "",
        "span_id": "",
        "parent_span_id": "",
    }
    fields.update(_derive(event, timestamp, prices, stats))
    return EnrichedEvent(
        project_id=event.project_id or envelope.project_id,
        event_id=str(event.event_id),
        type=type(event).__struct_config__.tag,  # type: ignore[arg-type]
        timestamp=timestamp,
        received_at=envelope.received_at.astimezone(UTC),
        timestamp_adjusted=int(adjusted),
        key_id=envelope.key_id,
        env=(ctx.env or "") if ctx else "",
        user_id=(ctx.user_id or "") if ctx else "",
        session_id=(ctx.session_id or "") if ctx else "",
        release=(ctx.release or "") if ctx else "",
        sdk=f"{event.sdk.name}/{event.sdk.version}" if event.sdk else "",
        context=_encoder.encode(ctx).decode() if ctx else "{}",
        body=_encoder.encode(event.body).decode(),
        **fields,  # type: ignore[arg-type]
    )


def _derive(event: Event, timestamp: datetime, prices: PriceTable, stats: EnrichStats) -> dict[str, object]:
    """The typed columns each event type contributes."""
    if isinstance(event, LlmCallEvent | TokenUsageEvent):
        body = event.body
        provider = body.provider or infer_provider(body.model)
        tokens = body.tokens
        cost = estimate_cost(
            prices,
            model=body.model,
            provider=provider or None,
            input_tokens=tokens.input,
            output_tokens=tokens.output,
            cached_tokens=tokens.cached or 0,
            at=timestamp,
            client_cost=body.cost_usd,
        )
        stats.unknown_model += cost.source == "unknown_model"
        out: dict[str, object] = {
            "model": body.model,
            "provider": provider,
            "input_tokens": tokens.input,
            "output_tokens": tokens.output,
            "cached_tokens": tokens.cached or 0,
            "reasoning_tokens": tokens.reasoning or 0,
            "cost_usd": cost.cost_usd,
            "cost_source": cost.source,
        }
        if isinstance(event, LlmCallEvent):
            call = event.body
            out |= {
                "latency_ms": call.latency_ms,
                "status": call.status,
                "error_type": call.error.type if call.error else "",
                "trace_id": call.trace_id or "",
                "span_id": call.span_id or "",
                "parent_span_id": call.parent_span_id or "",
            }
        return out
    if isinstance(event, ErrorEvent):
        return {"status": "error", "error_type": event.body.error_type}
    if isinstance(event, LogEvent):
        return {"level": event.body.level, "status": "error" if event.body.level in ERROR_LEVELS else "ok"}
    if isinstance(event, SpanEvent):
        span = event.body
        duration = (span.end_time - span.start_time).total_seconds() * 1000
        return {
            "trace_id": span.trace_id,
            "span_id": span.span_id,
            "parent_span_id": span.parent_span_id or "",
            "status": span.status,
            "latency_ms": max(duration, 0.0),
        }
    return {}


_msgpack = msgspec.msgpack.Encoder()


def encode_records(envelope: EnrichedEnvelope, max_bytes: int) -> list[bytes]:
    """The envelope as one record value, or as several when its encoding is over `max_bytes`.

    Raises InvalidRecord if one event alone cannot fit (the gateway's MAX_EVENT_BYTES keeps that from
    happening to anything it accepted).
    """
    value = encode_enriched(envelope)
    if len(value) <= max_bytes:
        return [value]
    # An envelope's encoding is its header, the events' array header (<= 5 bytes), then each event's.
    overhead = len(encode_enriched(EnrichedEnvelope(project_id=envelope.project_id, events=[]))) + 5
    budget = max_bytes - overhead
    parts: list[list[EnrichedEvent]] = [[]]
    used = 0
    for event in envelope.events:
        size = len(_msgpack.encode(event))
        if size > budget:
            raise InvalidRecord(
                "enrich",
                f"event {event.event_id} is {size} bytes enriched, over the {max_bytes}-byte record limit",
            )
        if used + size > budget:
            parts.append([])
            used = 0
        parts[-1].append(event)
        used += size
    return [encode_enriched(EnrichedEnvelope(project_id=envelope.project_id, events=part)) for part in parts]
