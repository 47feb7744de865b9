"""A minimal HTTP/1.1 keep-alive client on asyncio protocols: one request in flight per connection.

Built for the load generator, where the client's own CPU cost must stay far below the server's:
requests are pre-built bytes, responses are parsed just enough (status, Content-Length, body).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class ConnectionClosed(Exception):
    """The server closed the connection (or it failed) before answering."""


def build_request(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """The exact bytes of one request, to be written as is (and reused)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = exc or ConnectionClosed("connection closed by the server")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionClosed(str(self.closed)))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self.waiter.set_exception(ConnectionClosed("response without Content-Length"))
            return
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop > 0 else len(head)])
        total = end + 4 + length
        if len(buffer) < total:
            return
        status = int(buffer[9:12])
        body = bytes(buffer[end + 4 : total])
        del buffer[:total]
        self.waiter.set_result((status, body))


class Connection:
    """One keep-alive connection; `request` sends pre-built bytes and returns (status, body)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.protocol: _Protocol | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        _, self.protocol = await loop.create_connection(_Protocol, self.host, self.port)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        protocol = self.protocol
        if protocol is None or protocol.closed is not None:
            await self.open()
            protocol = self.protocol
        assert protocol is not None
        assert protocol.transport is not None
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        protocol.waiter = waiter
        protocol.transport.write(raw)
        return await waiter

    def close(self) -> None:
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80
