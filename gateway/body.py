"""Request bodies: gzip decompression with the size cap enforced while inflating (no gzip bombs)."""

from __future__ import annotations

import zlib

from gateway.errors import BadBody, PayloadTooLarge, UnsupportedEncoding


def decode_body(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body is over {max_bytes} bytes")
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported; use gzip")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadBody(f"invalid gzip body: {exc}") from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"request body is over {max_bytes} bytes after decompression")
    if not inflater.eof:
        raise BadBody("invalid gzip body: truncated")
    return out
