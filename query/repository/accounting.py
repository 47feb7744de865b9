"""Reads for the accounting view: a project's stored events (by the gateway's receive time, the time the
accepted counts use too), its newest stored event, and its dead-lettered records with their reasons.

`events` is ordered by (project_id, timestamp), not by receive time, so the stored count reads the
project's whole `received_at` column: two narrow columns, cheap next to the dashboard's other reads.
`dead_letters` is read with FINAL: a record the recorder read twice counts once; a record dead-lettered
twice (two DLQ copies of one origin and content) counts once too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec

from query.params import TimeRange
from query.repository.reader import Reader, utc

# Stages off the storage path (the alert aggregator reads events.enriched beside the sink; alert
# notices, their notifier and the alert tables' changelog come after it): what they dead-letter was
# stored all the same, so it does not explain a gap between accepted and stored. Stage names are the
# `lynex-stage` header the streams role writes (streams/alert_agents.py, notify.py, enrich_agent.py).
ALERT_STAGES = ("aggregate", "alert", "changelog", "notify")
MAX_REASONS = 20

STORED_SQL = """
SELECT countIf(received_at >= {start:DateTime64(3, 'UTC')} AND received_at < {end:DateTime64(3, 'UTC')}),
       count(),
       max(received_at)
FROM events
WHERE project_id = {project:String}"""

DEAD_SQL = """
SELECT stage, error, count(), sum(events), countIf(decoded = 0), max(dead_lettered_at),
       stage NOT IN {alert_stages:Array(String)}
FROM (
    SELECT stage, error, events, decoded, dead_lettered_at
    FROM dead_letters FINAL
    WHERE project_id = {project:String}
      AND received_at >= {start:DateTime64(3, 'UTC')} AND received_at < {end:DateTime64(3, 'UTC')}
    ORDER BY dead_lettered_at
    -- One row per dead-lettered record: a copy written again after a crash has the same origin and
    -- content (a record with no known origin is told apart by its own DLQ position).
    LIMIT 1 BY stage, original_topic, original_partition, original_offset, value_hash,
        if(original_offset < 0, dlq_partition, -1), if(original_offset < 0, dlq_offset, -1)
)
GROUP BY stage, error
ORDER BY sum(events) DESC, count() DESC, stage, error"""


class DeadLetterReason(msgspec.Struct, frozen=True, rename="camel"):
    stage: str
    # The error the stage recorded (at most 1,000 characters).
    error: str
    records: int
    # Events in those records; records that did not decode (`undecoded`) add none.
    events: int
    undecoded: int
    last_at: datetime
    # False for alert stages: those events were stored anyway.
    affects_storage: bool


@dataclass(frozen=True)
class Stored:
    in_range: int
    # The newest stored event's receive time (over all time), None when nothing is stored.
    newest: datetime | None


@dataclass(frozen=True)
class DeadLettered:
    events: int
    records: int
    undecoded: int
    # Every reason, most events first, at most MAX_REASONS (the totals cover all of them).
    reasons: list[DeadLetterReason]


class AccountingRepository:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def stored(self, project_id: str, window: TimeRange) -> Stored:
        params = {"project": project_id, "start": window.start, "end": window.end}
        [(in_range, total, newest)] = await self.reader.rows("accounting_stored", STORED_SQL, params)
        return Stored(in_range=int(in_range), newest=utc(newest) if total else None)

    async def dead_lettered(self, project_id: str, window: TimeRange) -> DeadLettered:
        params = {
            "project": project_id,
            "start": window.start,
            "end": window.end,
            "alert_stages": list(ALERT_STAGES),
        }
        rows = await self.reader.rows("accounting_dead_letters", DEAD_SQL, params)
        reasons = [
            DeadLetterReason(
                stage=stage,
                error=error,
                records=int(records),
                events=int(events),
                undecoded=int(undecoded),
                last_at=utc(last_at),
                affects_storage=bool(affects),
            )
            for stage, error, records, events, undecoded, last_at, affects in rows
        ]
        counted = [r for r in reasons if r.affects_storage]
        return DeadLettered(
            events=sum(r.events for r in counted),
            records=sum(r.records for r in counted),
            undecoded=sum(r.undecoded for r in counted),
            reasons=reasons[:MAX_REASONS],
        )
