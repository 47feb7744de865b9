"""An enriched envelope over the record limit is written as several records that each fit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.enriched import EnrichedEnvelope, EnrichedEvent, decode_enriched, encode_enriched
from streams.enrich import encode_records
from streams.errors import InvalidRecord
from tests.support.query_app import enriched

T = datetime(2026, 1, 1, tzinfo=UTC)


def row(body_bytes: int) -> EnrichedEvent:
    return enriched("p", T, body="x" * body_bytes)


def test_an_envelope_within_the_limit_is_one_record_as_before() -> None:
    envelope = EnrichedEnvelope(project_id="p", events=[row(100) for _ in range(10)])
    assert encode_records(envelope, 10_000) == [encode_enriched(envelope)]


@pytest.mark.parametrize("limit", [5_000, 12_345, 40_000])
def test_a_large_envelope_splits_into_records_under_the_limit_keeping_every_event_in_order(
    limit: int,
) -> None:
    events = [row(size) for size in (100, 3_000, 10, 4_500, 700, 2_000, 4_000, 1, 3_333) * 4]
    envelope = EnrichedEnvelope(project_id="p", events=events)
    assert len(encode_enriched(envelope)) > limit
    records = encode_records(envelope, limit)
    assert len(records) > 1
    assert all(len(r) <= limit for r in records)
    decoded = [decode_enriched(r) for r in records]
    assert {d.project_id for d in decoded} == {"p"}
    assert [e for d in decoded for e in d.events] == events


def test_one_event_over_the_limit_alone_is_an_invalid_record() -> None:
    envelope = EnrichedEnvelope(project_id="p", events=[row(10), row(6_000)])
    with pytest.raises(InvalidRecord) as caught:
        encode_records(envelope, 5_000)
    assert caught.value.stage == "enrich"
    assert "over the 5000-byte record limit" in caught.value.reason
