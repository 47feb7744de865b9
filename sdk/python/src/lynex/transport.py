"""One HTTP request to the gateway over a kept-alive `http.client` connection, classified for the worker.

Outcomes: `Sent` (2xx), `Retry` (429/5xx/network error, with the server's Retry-After if any),
`Rejected` (any other status: the batch can never succeed as it is). Nothing here raises.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import socket
import ssl
from typing import NamedTuple, Union
from urllib.parse import urlsplit

from lynex._version import __version__
from lynex.retry import RETRYABLE_STATUSES, parse_retry_after

USER_AGENT = f"lynex-python/{__version__}"


class Sent(NamedTuple):
    status: int


class Retry(NamedTuple):
    status: int | None  # None for a network error
    retry_after: float | None
    reason: str


class Rejected(NamedTuple):
    status: int
    reason: str
    # For a 422: the positions of the invalid events, as the gateway named them.
    invalid: tuple[int, ...] = ()


Outcome = Union[Sent, Retry, Rejected]


def gzip_body(body: bytes, level: int) -> bytes:
    # mtime=0 keeps the bytes of a retried batch identical, which makes them easy to compare in tests.
    return gzip.compress(body, compresslevel=level, mtime=0) if level > 0 else body


class HttpTransport:
    """POSTs bodies to one URL; reconnects after any error. Used by one worker thread only."""

    def __init__(self, url: str, api_key: str, timeout: float) -> None:
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._headers = {
            "Content-Type": "application/json",
            "X-API-Key": api_key,
            "User-Agent": USER_AGENT,
        }
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._conn.connect()
            # http.client writes the headers and the body in two send() calls: without TCP_NODELAY,
            # Nagle's algorithm and the server's delayed ACK stall every request by ~40 ms.
            if self._conn.sock is not None:
                self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    def post(self, body: bytes, gzipped: bool, timeout: float | None = None) -> Outcome:
        headers = dict(self._headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        try:
            conn = self._connection()
            conn.timeout = self._timeout if timeout is None else max(0.05, min(timeout, self._timeout))
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            conn.request("POST", self._path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()  # drain, so the connection can be reused
            status = response.status
            retry_after = parse_retry_after(response.getheader("Retry-After"))
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException, socket.timeout, ValueError) as exc:
            self.close()
            return Retry(None, None, f"{type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return Sent(status)
        if status in RETRYABLE_STATUSES:
            return Retry(status, retry_after, f"HTTP {status}")
        detail = payload[:300].decode("utf-8", "replace")
        return Rejected(status, f"HTTP {status}: {detail}", _invalid_indices(status, payload))


def _invalid_indices(status: int, payload: bytes) -> tuple[int, ...]:
    """The batch positions a 422 names (`errors[].index`); empty when it names none."""
    if status != 422:
        return ()
    try:
        errors = json.loads(payload).get("errors") or []
        return tuple(sorted({e["index"] for e in errors if isinstance(e.get("index"), int)}))
    except (ValueError, AttributeError, TypeError, KeyError):
        return ()
