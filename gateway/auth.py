"""API-key authentication: the key from the headers, checked through the shared TTL cache."""

from __future__ import annotations

from collections.abc import Mapping

from core.control.key_cache import ControlPlaneUnavailable, KeyCache
from core.control.keys import key_from_headers
from core.control.store import KeyIdentity
from gateway.errors import Forbidden, Unauthorized, Unavailable


def extract_key(headers: Mapping[str, str]) -> str:
    """The secret from the headers; 401 when there is none."""
    secret = key_from_headers(headers)
    if secret is None:
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
