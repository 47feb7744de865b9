"""Reads of `alert_history`: a project's notifications in a time range, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from core.notify import Delivery
from query.repository.reader import Reader, utc

HISTORY_SQL = """
SELECT alert_id, rule_id, rule_name, kind, state, repeat, at, notified_at, value, threshold,
       window_minutes, model, error_type, deliveries
FROM alert_history FINAL
WHERE project_id = {project:String}
  AND at >= {start:DateTime64(3, 'UTC')} AND at < {end:DateTime64(3, 'UTC')}"""
RULE_FILTER = " AND rule_id = {rule_id:String}"
HISTORY_TAIL = " ORDER BY at DESC, alert_id LIMIT {limit:UInt32}"


class AlertRecord(msgspec.Struct, frozen=True, rename="camel"):
    alert_id: str
    rule_id: str
    rule_name: str
    kind: str
    state: str
    repeat: bool
    at: datetime
    notified_at: datetime
    value: float
    threshold: float
    window_minutes: int
    model: str
    error_type: str
    deliveries: list[Delivery]


class AlertHistory(msgspec.Struct, frozen=True, rename="camel"):
    alerts: list[AlertRecord]


_deliveries = msgspec.json.Decoder(list[Delivery])


class AlertRepository:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def history(
        self, project_id: str, start: datetime, end: datetime, rule_id: str | None, limit: int
    ) -> AlertHistory:
        params: dict[str, Any] = {"project": project_id, "start": start, "end": end, "limit": limit}
        sql = HISTORY_SQL
        if rule_id:
            sql += RULE_FILTER
            params["rule_id"] = rule_id
        rows = await self.reader.rows("alert_history", sql + HISTORY_TAIL, params)
        return AlertHistory(
            [
                AlertRecord(
                    alert_id=r[0],
                    rule_id=r[1],
                    rule_name=r[2],
                    kind=r[3],
                    state=r[4],
                    repeat=bool(r[5]),
                    at=utc(r[6]),
                    notified_at=utc(r[7]),
                    value=r[8],
                    threshold=r[9],
                    window_minutes=r[10],
                    model=r[11],
                    error_type=r[12],
                    deliveries=_deliveries.decode(r[13]) if r[13] else [],
                )
                for r in rows
            ]
        )
