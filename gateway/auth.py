"""API-key authentication: the key from the headers, checked through the shared TTL cache."""

from __future__ import annotations

from collections.abc import Mapping

from core.control.key_cache import ControlPlaneUnavailable, KeyCache
from core.control.store import KeyIdentity
from gateway.errors import Forbidden, Unauthorized, Unavailable


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


class GatewayKeys:
    """Key authentication for the gateway: the shared cache, mapped to 403 / 503."""

    def __init__(self, cache: KeyCache) -> None:
        self.cache = cache

    async def authenticate(self, secret: str) -> KeyIdentity:
        try:
            identity = await self.cache.lookup(secret)
        except ControlPlaneUnavailable as exc:
            raise Unavailable("control plane unavailable", retry_after=2) from exc
        if identity is None:
            raise Forbidden("unknown, malformed or revoked API key")
        return identity
