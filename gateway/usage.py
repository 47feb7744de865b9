"""Accepted events per API key, counted in memory and written to the control plane every few
seconds (never a database write per request). A crash loses at most one interval of counts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from core.control.store import ControlPlane

log = logging.getLogger(__name__)


class KeyUsage:
    def __init__(self, control: ControlPlane, interval_s: float = 5.0) -> None:
        self.control = control
        self.interval_s = interval_s
        self._pending: dict[str, tuple[int, datetime]] = {}
        self._task: asyncio.Task[None] | None = None

    def record(self, key_id: str, events: int) -> None:
        count, _ = self._pending.get(key_id, (0, None))
        self._pending[key_id] = (count + events, datetime.now(UTC))

    async def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            await self.control.record_usage(pending)
        except (SQLAlchemyError, OSError) as exc:
            # Put the counts back: they are written with the next flush.
            for key_id, (count, last) in pending.items():
                now_count, now_last = self._pending.get(key_id, (0, last))
                self._pending[key_id] = (count + now_count, max(last, now_last))
            log.warning("key_usage_not_written", extra={"keys": len(pending), "error": str(exc)[:200]})

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.flush()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="key-usage-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
