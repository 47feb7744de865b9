"""A trivial HTTP/1.1 server (asyncio protocol on uvloop) answering every request 202 at once.

Used only to measure the load generator's own ceiling: this server does far less work per request
than any framework, so the requests/s reached against it bound what the generator can drive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bench.stats import run_fast

_BODY = b'{"status":"queued"}'
_RESPONSE = (
    b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(_BODY)).encode()
    + b"\r\n\r\n"
    + _BODY
)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop > 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            assert self.transport is not None
            self.transport.write(_RESPONSE)


async def _serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Protocol, "127.0.0.1", port, backlog=1024)
    print("READY", flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.trivial_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    run_fast(_serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
