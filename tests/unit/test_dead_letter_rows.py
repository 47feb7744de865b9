"""Reading DLQ records into `dead_letters` rows: whose, from where, why, how many events, received when."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import decode_events, encode
from contracts.enriched import encode_enriched
from contracts.events import RawEnvelope
from streams.dead_letter_rows import to_row
from streams.dlq import dlq_headers
from streams.enrich import enrich_envelope
from streams.pricing import load_price_table

RECEIVED = datetime(2026, 11, 24, 12, 0, 10, 250000, tzinfo=UTC)
DLQ_TIME_MS = 1_795_000_000_000
DLQ_TIME = datetime.fromtimestamp(DLQ_TIME_MS / 1000, UTC)
HEADERS = dlq_headers("enrich", "DecodeError: bad", "lynex.events.raw", 3, 1234)


def raw_envelope(n: int) -> RawEnvelope:
    events = [{"type": "log", "body": {"level": "info", "message": f"m{i}"}} for i in range(n)]
    decoded = decode_events(encode({"events": events}))
    assert isinstance(decoded, tuple)
    return RawEnvelope(project_id="p1", key_id="key_1", received_at=RECEIVED, events=decoded[0])


def row_for(value: bytes, headers: list[tuple[str, bytes]] = HEADERS, key: bytes | None = b"p1"):  # type: ignore[no-untyped-def]
    return to_row(key=key, value=value, headers=headers, timestamp_ms=DLQ_TIME_MS, partition=2, offset=77)


def test_headers_key_and_position_are_kept() -> None:
    row = row_for(encode(raw_envelope(1)))
    assert (row.project_id, row.stage, row.error) == ("p1", "enrich", "DecodeError: bad")
    assert (row.original_topic, row.original_partition, row.original_offset) == ("lynex.events.raw", 3, 1234)
    assert (row.dlq_partition, row.dlq_offset, row.dead_lettered_at) == (2, 77, DLQ_TIME)
    assert not row.truncated


def test_the_value_hash_tells_contents_apart_and_fits_a_uint64() -> None:
    one, other = encode(raw_envelope(1)), encode(raw_envelope(2))
    assert row_for(one).value_hash == row_for(one).value_hash
    assert row_for(one).value_hash != row_for(other).value_hash
    assert all(0 <= row_for(v).value_hash < 2**64 for v in (one, other, b""))


def test_raw_envelope_counts_its_events_at_the_gateway_receive_time() -> None:
    row = row_for(encode(raw_envelope(7)))
    assert (row.events, row.decoded, row.received_at) == (7, True, RECEIVED)


def test_raw_envelope_with_an_invalid_event_still_counts_every_event() -> None:
    value = encode(raw_envelope(3)).replace(b'"level":"info"', b'"level":42', 1)
    assert (row_for(value).events, row_for(value).received_at) == (3, RECEIVED)


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_enriched_envelope_counts_its_rows(encoding: str) -> None:
    enriched, _ = enrich_envelope(raw_envelope(4), load_price_table(), 90)
    value = encode_enriched(enriched) if encoding == "msgpack" else encode(enriched)
    row = row_for(value)
    assert (row.events, row.decoded, row.received_at) == (4, True, RECEIVED)


def test_one_enriched_row_counts_one_event() -> None:
    enriched, _ = enrich_envelope(raw_envelope(2), load_price_table(), 90)
    row = row_for(msgspec.json.encode(enriched.events[0]))
    assert (row.events, row.decoded, row.received_at) == (1, True, RECEIVED)


@pytest.mark.parametrize(
    "value",
    [b"\x00not an envelope", b"", b"{}", b'{"events": 3}', b"[1, 2, 3]", b'{"alert": "fired"}'],
)
def test_anything_else_counts_no_events_at_the_dlq_time(value: bytes) -> None:
    row = row_for(value)
    assert (row.events, row.decoded, row.received_at) == (0, False, DLQ_TIME)


def test_a_truncated_record_is_flagged_and_counts_no_events() -> None:
    value = encode(raw_envelope(50))
    row = row_for(value[: len(value) // 2], headers=[*HEADERS, ("lynex-truncated", b"1")])
    assert (row.truncated, row.decoded, row.events, row.value_bytes) == (True, False, 0, len(value) // 2)


def test_an_implausible_receive_time_falls_back_to_the_dlq_time() -> None:
    value = encode(raw_envelope(1)).replace(b"2026-11-24T12:00:10.250000Z", b"9999-01-01T00:00:00Z")
    assert b"9999" in value
    assert row_for(value).received_at == DLQ_TIME


def test_missing_headers_and_key() -> None:
    row = row_for(b"x", headers=[("lynex-original-partition", b"nope")], key=None)
    assert (row.project_id, row.stage, row.error, row.original_partition) == ("", "unknown", "", -1)


@given(
    key=st.none() | st.binary(max_size=100),
    value=st.binary(max_size=2000)
    | st.builds(lambda n: encode(raw_envelope(n)), st.integers(1, 20)).map(lambda v: v[: len(v) // 2]),
    headers=st.lists(st.tuples(st.sampled_from([h for h, _ in HEADERS] + ["x"]), st.binary(max_size=50))),
    timestamp_ms=st.integers(-(2**40), 2**42),
)
@settings(max_examples=300, deadline=None)
def test_any_record_becomes_a_bounded_row(
    key: bytes | None, value: bytes, headers: list[tuple[str, bytes]], timestamp_ms: int
) -> None:
    row = to_row(key=key, value=value, headers=headers, timestamp_ms=timestamp_ms, partition=0, offset=1)
    assert len(row.project_id) <= 64
    assert len(row.error) <= 1000
    assert row.events >= 0
    assert row.decoded or row.events == 0
    assert -1 <= row.original_partition < 2**31
    assert -1 <= row.original_offset < 2**63
    assert row.received_at.tzinfo is not None
    assert row.value_bytes == len(value)
