"""Request bodies: gzip with the cap applied while inflating."""

from __future__ import annotations

import gzip

import pytest

from gateway.body import decode_body
from gateway.errors import BadBody, PayloadTooLarge, UnsupportedEncoding


def test_identity_passes_through() -> None:
    assert decode_body(b"{}", None, 10) == b"{}"
    assert decode_body(b"{}", "identity", 10) == b"{}"


def test_identity_over_cap() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_body(b"x" * 11, None, 10)


def test_gzip_round_trip() -> None:
    assert decode_body(gzip.compress(b'{"a": 1}'), "gzip", 100) == b'{"a": 1}'


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB that compresses to ~50 KB
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge, match="after decompression"):
        decode_body(bomb, "gzip", 5 * 1024 * 1024)


def test_gzip_exactly_at_cap_is_fine() -> None:
    assert len(decode_body(gzip.compress(b"a" * 1000), "gzip", 1000)) == 1000


def test_corrupt_and_truncated_gzip() -> None:
    with pytest.raises(BadBody):
        decode_body(b"not gzip at all", "gzip", 100)
    with pytest.raises(BadBody, match="truncated"):
        decode_body(gzip.compress(b"x" * 500)[:-12], "gzip", 1000)


def test_other_encodings_refused() -> None:
    with pytest.raises(UnsupportedEncoding):
        decode_body(b"", "br", 100)
