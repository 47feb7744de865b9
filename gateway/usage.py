"""Accepted events, counted in memory and written to the control plane every few seconds (never a
database write per request): per API key (its total and last use) and per project and UTC minute
(`usage_accepted`, the one source of accepted counts for accounting and metering).

A failed write keeps the counts for the next one; a crash loses at most one interval of counts.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from core.control.store import ControlPlane, KeyIdentity
from core.control.usage import minute_of

log = logging.getLogger(__name__)


class KeyUsage:
    def __init__(self, control: ControlPlane, interval_s: float = 5.0) -> None:
        self.control = control
        self.interval_s = interval_s
        self._keys: dict[str, tuple[int, datetime]] = {}
        self._accepted: dict[tuple[str, datetime], int] = {}

    def record(self, identity: KeyIdentity, events: int, received_at: datetime) -> None:
        """Count `events` accepted for the key's project, in the minute of their `received_at` stamp
        (the time ClickHouse stores, so accepted and stored counts share their buckets)."""
        count, last = self._keys.get(identity.key_id, (0, received_at))
        self._keys[identity.key_id] = (count + events, max(last, received_at))
        bucket = (identity.project_id, minute_of(received_at))
        self._accepted[bucket] = self._accepted.get(bucket, 0) + events

    async def flush(self) -> None:
        if not self._keys and not self._accepted:
            return
        keys, self._keys = self._keys, {}
        accepted, self._accepted = self._accepted, {}
        try:
            await self.control.record_usage(keys, accepted)
        except BaseException as exc:
            # One transaction: none of them was written. Put them back for the next flush, also when
            # cancelled (shutdown flushes once more) or on a bug (the supervisor restarts the writer).
            self._restore(keys, accepted)
            if not isinstance(exc, SQLAlchemyError | OSError):
                raise
            log.warning(
                "usage_not_written",
                extra={"keys": len(keys), "buckets": len(accepted), "error": str(exc)[:200]},
            )

    def _restore(
        self, keys: dict[str, tuple[int, datetime]], accepted: dict[tuple[str, datetime], int]
    ) -> None:
        for key_id, (count, last) in keys.items():
            now_count, now_last = self._keys.get(key_id, (0, last))
            self._keys[key_id] = (count + now_count, max(last, now_last))
        for bucket, events in accepted.items():
            self._accepted[bucket] = self._accepted.get(bucket, 0) + events

    async def stop(self) -> None:
        """Write what is left (at shutdown; the role's supervised worker calls flush() periodically)."""
        await self.flush()
