"""API-key authentication with an in-process TTL cache (a revoked key stops working within the TTL)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from core.control.keys import is_well_formed
from core.control.store import ControlPlane, KeyIdentity
from core.metrics import GatewayMetrics
from gateway.errors import Forbidden, Unauthorized, Unavailable

# Unknown keys are cached briefly so a client hammering with a bad key does not hammer the database.
NEGATIVE_TTL_S = 2.0


def extract_key(headers: Mapping[str, str]) -> str:
    """The secret from `X-API-Key` or `Authorization: Bearer`; 401 when neither is present."""
    secret = headers.get("x-api-key")
    if not secret:
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer":
            secret = value.strip()
    if not secret:
        raise Unauthorized("missing API key: send X-API-Key or Authorization: Bearer sk_live_...")
    return secret


class KeyCache:
    def __init__(
        self,
        control: ControlPlane,
        ttl_s: float,
        metrics: GatewayMetrics,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.control = control
        self.ttl_s = ttl_s
        self.metrics = metrics
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[KeyIdentity | None, float]] = {}
        self._pending: dict[str, asyncio.Future[KeyIdentity | None]] = {}

    async def authenticate(self, secret: str) -> KeyIdentity:
        """The key's identity; 403 for a malformed, unknown or revoked key."""
        if not is_well_formed(secret):
            raise Forbidden("invalid API key")
        identity = await self._lookup(secret)
        if identity is None:
            raise Forbidden("unknown or revoked API key")
        return identity

    async def _lookup(self, secret: str) -> KeyIdentity | None:
        now = self.clock()
        entry = self._entries.get(secret)
        if entry is not None and entry[1] > now:
            self.metrics.key_cache_lookups.labels("hit").inc()
            return entry[0]
        self.metrics.key_cache_lookups.labels("miss").inc()
        # Concurrent misses for one key share a single database query.
        pending = self._pending.get(secret)
        if pending is not None:
            return await pending
        future: asyncio.Future[KeyIdentity | None] = asyncio.get_running_loop().create_future()
        self._pending[secret] = future
        try:
            identity = await self.control.find_key(secret)
        except (SQLAlchemyError, OSError) as exc:
            error = Unavailable("control plane unavailable", retry_after=2)
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
