"""API-key lookups with an in-process TTL cache, shared by every role that authenticates keys.

A revoked key keeps working at most `ttl_s` seconds; unknown keys are cached briefly so that a
client hammering with a bad key does not hammer the database; concurrent misses share one query.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from core.control.keys import is_well_formed
from core.control.store import ControlPlane, KeyIdentity

NEGATIVE_TTL_S = 2.0


class ControlPlaneUnavailable(Exception):
    """The control-plane database did not answer; callers map this to 503."""


class KeyCache:
    def __init__(
        self,
        control: ControlPlane,
        ttl_s: float,
        on_lookup: Callable[[bool], None] = lambda _hit: None,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.control = control
        self.ttl_s = ttl_s
        self.on_lookup = on_lookup
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[KeyIdentity | None, float]] = {}
        self._pending: dict[str, asyncio.Future[KeyIdentity | None]] = {}

    async def lookup(self, secret: str) -> KeyIdentity | None:
        """The identity behind a live key, None for a malformed, unknown or revoked one."""
        if not is_well_formed(secret):
            return None
        now = self.clock()
        entry = self._entries.get(secret)
        if entry is not None and entry[1] > now:
            self.on_lookup(True)
            return entry[0]
        self.on_lookup(False)
        pending = self._pending.get(secret)
        if pending is not None:
            return await pending
        future: asyncio.Future[KeyIdentity | None] = asyncio.get_running_loop().create_future()
        self._pending[secret] = future
        try:
            identity = await self.control.find_key(secret)
        except (SQLAlchemyError, OSError) as exc:
            error = ControlPlaneUnavailable(str(exc))
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise error from exc
        else:
            future.set_result(identity)
        finally:
            del self._pending[secret]
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[secret] = (
            identity,
            now + (self.ttl_s if identity else min(NEGATIVE_TTL_S, self.ttl_s)),
        )
        return identity
