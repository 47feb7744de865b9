"""Channel URLs at rest: encrypted, bound to their rule, unreadable under another key, masked."""

from __future__ import annotations

import base64

import pytest

from core.crypto import SecretBox, SecretUnreadable, mask_url

URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


def test_round_trip_and_no_clear_text() -> None:
    box = SecretBox("k" * 32)
    token = box.encrypt(URL, associated="rul_1")
    assert "T1JJ3T3L2" not in token
    assert "slack" not in token
    assert token != box.encrypt(URL, associated="rul_1")  # a fresh nonce every time
    assert box.decrypt(token, associated="rul_1") == URL


def test_other_key_other_rule_or_tampering_is_refused() -> None:
    token = SecretBox("k" * 32).encrypt(URL, associated="rul_1")
    with pytest.raises(SecretUnreadable):
        SecretBox("j" * 32).decrypt(token, associated="rul_1")
    with pytest.raises(SecretUnreadable):
        SecretBox("k" * 32).decrypt(token, associated="rul_2")
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[20] ^= 1
    flipped = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(SecretUnreadable):
        SecretBox("k" * 32).decrypt(flipped, associated="rul_1")
    with pytest.raises(SecretUnreadable):
        SecretBox("k" * 32).decrypt("plain", associated="rul_1")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("json://127.0.0.1:8123/hook?token=abc", "json://127.0.0.1:8123/***"),
        ("mailto://user:secret@smtp.example.com:587?to=ops@example.com", "mailto://smtp.example.com:587/***"),
        (URL, "slack://***/***"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV", "discord://***/***"),
        ("jsons://hooks.example.com/path/secret", "jsons://hooks.example.com/***"),
    ],
)
def test_mask_shows_scheme_and_host_only(url: str, masked: str) -> None:
    assert mask_url(url) == masked
