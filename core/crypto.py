"""Secrets at rest (alert channel URLs): AES-256-GCM under a key derived from LYNEX_AUTH__SECRET_KEY.

The key is HKDF-SHA256(secret key, info=purpose), so rotating LYNEX_AUTH__SECRET_KEY makes stored
channel URLs unreadable (they must be entered again), and a ciphertext is bound to its row by the
associated data (a rule's URLs cannot be pasted into another rule). Format: `v1.` + base64url(nonce
|| ciphertext+tag). `mask_url` is what a secret URL looks like when read back.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1."
_NONCE = 12


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (another secret key, or tampered with)."""


class SecretBox:
    def __init__(self, secret_key: str, purpose: str = "lynex alert channels v1") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            secret_key.encode()
        )
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, associated: str = "") -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), associated.encode())
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, associated: str = "") -> str:
        if not token.startswith(_VERSION):
            raise SecretUnreadable("unknown secret format")
        try:
            raw = base64.urlsafe_b64decode(token[len(_VERSION) :])
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], associated.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadable("secret cannot be decrypted with this LYNEX_AUTH__SECRET_KEY") from exc


def mask_url(url: str) -> str:
    """`scheme://host[:port]/***`: credentials, path and query dropped. A host that does not look like
    a network name (slack://TokenA/..., discord://id/token) is a secret itself and is masked too."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    looks_public = "." in host or ":" in host or host == "localhost"
    shown = (f"[{host}]" if ":" in host else host) if looks_public else "***"
    if looks_public and port:
        shown += f":{port}"
    return f"{parts.scheme}://{shown}/***"
