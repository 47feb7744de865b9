"""The one registry of Kafka topic names; a prefix isolates environments and test runs."""

from __future__ import annotations

import msgspec

RAW = "lynex.events.raw"
ENRICHED = "lynex.events.enriched"
DLQ = "lynex.events.dlq"
ALERTS = "lynex.alerts"

ALL = (RAW, ENRICHED, DLQ, ALERTS)


class Topics(msgspec.Struct, frozen=True):
    """Topic names with the deployment's prefix applied (`""` in production, unique per test)."""

    raw: str
    enriched: str
    dlq: str
    alerts: str

    @classmethod
    def with_prefix(cls, prefix: str = "") -> Topics:
        return cls(raw=prefix + RAW, enriched=prefix + ENRICHED, dlq=prefix + DLQ, alerts=prefix + ALERTS)

    def names(self) -> tuple[str, ...]:
        return (self.raw, self.enriched, self.dlq, self.alerts)
