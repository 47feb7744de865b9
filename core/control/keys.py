"""API key format and hashing: `sk_live_<43 url-safe chars>`, stored only as a SHA-256 digest.

A plain digest (not argon2) is right for keys: they carry 256 bits of randomness, so a fast hash
cannot be brute-forced, and the gateway must check one per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping

KEY_PREFIX = "sk_live_"
KEY_RE = re.compile(r"^sk_live_[A-Za-z0-9_-]{20,128}$")
DISPLAY_PREFIX_LEN = len(KEY_PREFIX) + 6


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def is_well_formed(secret: str) -> bool:
    return KEY_RE.match(secret) is not None


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """What listings show: enough to recognise a key, far too little to use it."""
    return secret[:DISPLAY_PREFIX_LEN]


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The secret from `X-API-Key` or `Authorization: Bearer`, or None when neither is present."""
    secret = headers.get("x-api-key")
    if not secret:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            secret = value.strip()
    return secret or None


def new_id(kind: str) -> str:
    return f"{kind}_{secrets.token_hex(8)}"
