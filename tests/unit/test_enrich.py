"""Enrichment: UTC timestamps and their policy, derived columns, cost, provider inference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest

from contracts.codec import decode_events, encode
from contracts.enriched import decode_enriched, encode_enriched
from contracts.events import RawEnvelope
from streams.enrich import MAX_FUTURE, enrich_envelope, infer_provider, normalize_timestamp
from streams.pricing import load_price_table

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples"
RECEIVED = datetime(2026, 11, 24, 12, 0, 10, tzinfo=UTC)
PRICES = load_price_table()


def envelope(payload: bytes, received_at: datetime = RECEIVED) -> RawEnvelope:
    decoded = decode_events(payload)
    assert isinstance(decoded, tuple)
    return RawEnvelope(project_id="p1", key_id="key_1", received_at=received_at, events=decoded[0])


def enrich_example(name: str):  # type: ignore[no-untyped-def]
    out, stats = enrich_envelope(envelope((EXAMPLES / name).read_bytes()), PRICES, 90)
    return out.events, stats


def test_timestamp_is_converted_to_utc() -> None:
    plus_one = datetime(2026, 11, 24, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    ts, adjusted = normalize_timestamp(plus_one, RECEIVED, timedelta(days=90))
    assert ts == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert ts.tzinfo == UTC
    assert adjusted is False


@pytest.mark.parametrize(
    ("offset", "adjusted"),
    [
        (MAX_FUTURE - timedelta(seconds=1), False),
        (MAX_FUTURE + timedelta(seconds=1), True),
        (timedelta(days=365), True),
        (-timedelta(days=89), False),
        (-timedelta(days=91), True),
    ],
)
def test_far_future_or_past_timestamp_is_replaced_and_flagged(offset: timedelta, adjusted: bool) -> None:
    ts, flag = normalize_timestamp(RECEIVED + offset, RECEIVED, timedelta(days=90))
    assert flag is adjusted
    assert ts == (RECEIVED if adjusted else RECEIVED + offset)


def test_missing_timestamp_takes_received_at() -> None:
    assert normalize_timestamp(None, RECEIVED, timedelta(days=1)) == (RECEIVED, False)


def test_llm_call_columns_and_cost() -> None:
    [row], stats = enrich_example("llm_call.json")
    assert (row.type, row.model, row.provider, row.status) == (
        "llm_call",
        "gpt-4o-2024-08-06",
        "openai",
        "ok",
    )
    assert (row.input_tokens, row.output_tokens, row.cached_tokens) == (21, 2, 0)
    # gpt-4o from 2024-10-02: $2.50 / 1M input, $10 / 1M output
    assert row.cost_usd == pytest.approx(21 * 2.5e-6 + 2 * 10e-6, rel=1e-12)
    assert row.cost_source == "table"
    assert row.latency_ms == 412.5
    assert (row.trace_id, row.span_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert (row.env, row.user_id, row.release) == ("production", "user-42", "2026.11.1")
    assert row.sdk == "lynex-python/0.1.0"
    assert row.project_id == "demo"
    assert '"model":"gpt-4o-2024-08-06"' in row.body
    assert stats.unknown_model == 0


def test_llm_call_error_columns_and_provider_inference() -> None:
    [row], _ = enrich_example("llm_call_error.json")
    assert (row.status, row.error_type, row.provider) == ("error", "RateLimitError", "anthropic")
    assert row.timestamp == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_client_cost_wins_and_unknown_model_has_no_cost() -> None:
    payload = (
        b'{"events": [{"type": "llm_call", "body": {"model": "gpt-4o", "costUsd": 0.5, "tokens": {"input": 9}}},'
        b' {"type": "llm_call", "body": {"model": "my-private-model", "tokens": {"input": 100, "output": 5}}}]}'
    )
    out, stats = enrich_envelope(envelope(payload), PRICES, 90)
    client, unknown = out.events
    assert (client.cost_usd, client.cost_source) == (0.5, "client")
    assert (unknown.cost_usd, unknown.cost_source, unknown.provider) == (None, "unknown_model", "")
    assert stats.unknown_model == 1


def test_other_types() -> None:
    [error], _ = enrich_example("error.json")
    assert (error.type, error.status, error.error_type, error.env) == (
        "error",
        "error",
        "ValueError",
        "staging",
    )
    [log], _ = enrich_example("log.json")
    assert (log.level, log.status) == ("warning", "ok")
    [span], _ = enrich_example("span.json")
    assert span.latency_ms == pytest.approx(800.0)
    assert span.parent_span_id == "00f067aa0ba902b7"
    [custom], _ = enrich_example("custom.json")
    assert (custom.model, custom.cost_usd, custom.context) == ("", None, "{}")
    [usage], _ = enrich_example("token_usage.json")
    assert (usage.provider, usage.input_tokens, usage.reasoning_tokens) == ("google", 5000, 300)


def test_envelope_fields_are_stamped_on_every_row() -> None:
    events, stats = enrich_example("batch.json")
    assert stats.events == 2
    assert {(r.key_id, r.received_at) for r in events} == {("key_1", RECEIVED)}


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("o3-mini", "openai"),
        ("claude-3-5-sonnet-20241022", "anthropic"),
        ("models/gemini-2.5-pro", "google"),
        ("mistral-large-latest", "mistral"),
        ("codestral-latest", "mistral"),
        ("llama-3-70b", ""),
    ],
)
def test_infer_provider(model: str, provider: str) -> None:
    assert infer_provider(model) == provider


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_enriched_record_decodes_to_the_same_rows_from_messagepack_and_from_json(name: str) -> None:
    out, _ = enrich_envelope(envelope((EXAMPLES / name).read_bytes()), PRICES, 90)
    record = encode_enriched(out)
    assert record[:1] != b"{"
    assert decode_enriched(record) == out
    # Records written as JSON (before MessagePack, or by an enricher not yet upgraded) still decode.
    assert decode_enriched(encode(out)) == out


@pytest.mark.parametrize("record", [b"", b"\x93\x01", b"\xc1", b"{", b'{"project_id": "p"}', b"not json"])
def test_undecodable_enriched_record_raises_what_the_sink_dead_letters(record: bytes) -> None:
    with pytest.raises((msgspec.ValidationError, msgspec.DecodeError)):
        decode_enriched(record)
