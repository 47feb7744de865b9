"""Sink batching: offsets to commit, the deduplication token, duplicate ids, columns."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.enriched import COLUMNS, EnrichedEvent
from streams.batcher import Batch, to_columns, unique_rows, uuid_array_sql

T = datetime(2026, 1, 1, tzinfo=UTC)


def row(event_id: str, project_id: str = "p") -> EnrichedEvent:
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        project_id=project_id,
        event_id=event_id,
        timestamp=T,
        received_at=T,
        timestamp_adjusted=0,
        input_tokens=1,
        output_tokens=2,
        cached_tokens=0,
        reasoning_tokens=0,
        cost_usd=None,
        latency_ms=None,
    )
    return EnrichedEvent(**values)  # type: ignore[arg-type]


def test_offsets_to_commit_are_next_to_read_per_partition() -> None:
    batch = Batch(topic="t", started_at=0)
    batch.add(0, 10, [row("a")])
    batch.add(0, 11, [row("b"), row("c")])
    batch.add(1, 5, [])
    assert batch.commit_offsets() == {0: 12, 1: 6}
    assert len(batch.rows) == 3
    assert batch.origins == [(0, 10), (0, 11), (0, 11)]  # each row's record


def test_dedup_token_depends_only_on_topic_and_offsets() -> None:
    one, two = Batch(topic="t", started_at=0), Batch(topic="t", started_at=99)
    for batch in (one, two):
        batch.add(1, 7, [row("x")])
        batch.add(0, 3, [row("y")])
    assert one.dedup_token() == two.dedup_token()
    other = Batch(topic="t", started_at=0)
    other.add(1, 8, [row("x")])
    assert other.dedup_token() != one.dedup_token()
    assert Batch(topic="u", started_at=0).dedup_token() != Batch(topic="t", started_at=0).dedup_token()


def test_is_due_by_rows_or_age() -> None:
    batch = Batch(topic="t", started_at=100.0)
    assert not batch.is_due(1000.0, 2, 1.0)  # empty: never due
    batch.add(0, 1, [row("a")])
    assert not batch.is_due(100.5, 2, 1.0)
    assert batch.is_due(101.0, 2, 1.0)
    batch.add(0, 2, [row("b")])
    assert batch.is_due(100.1, 2, 1.0)


def test_unique_rows_drops_stored_and_repeated_ids_keeping_the_first() -> None:
    first, again, other, stored = row("a"), row("a"), row("b"), row("c")
    assert unique_rows([first, again, other, stored], {("p", "c")}) == [first, other]


def test_the_same_id_in_two_projects_is_two_events() -> None:
    """Ids come from clients: one tenant's id must not hide another tenant's event."""
    mine, theirs, theirs_again = row("a", "p1"), row("a", "p2"), row("a", "p2")
    assert unique_rows([mine, theirs, theirs_again], set()) == [mine, theirs]
    # Stored in one project: still new in the other.
    assert unique_rows([mine, theirs], {("p2", "a")}) == [mine]


def test_to_columns_follows_column_order() -> None:
    columns = to_columns([row("a"), row("b")])
    assert len(columns) == len(COLUMNS)
    assert columns[COLUMNS.index("event_id")] == ["a", "b"]
    assert columns[COLUMNS.index("input_tokens")] == [1, 1]


def test_uuid_array_sql_only_for_canonical_uuid_texts() -> None:
    a, b = "0b7e5f2e-6a1c-4d3e-9f00-1234567890ab", "ffffffff-0000-4000-8000-000000000000"
    assert uuid_array_sql([a, b]) == f"splitByChar(',', '{a},{b}')"
    # Anything else is bound as a parameter by the caller: never put in the SQL text.
    assert uuid_array_sql([]) is None
    assert uuid_array_sql([a, a.upper()]) is None
    assert uuid_array_sql([a, "x' OR 1=1 --"]) is None
    assert uuid_array_sql([a, f"{b},{a}"]) is None
    assert uuid_array_sql([a + "0"]) is None
    assert uuid_array_sql([a, b + "\n"]) is None
