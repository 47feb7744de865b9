"""Test doubles for the SDK tests: the local HTTP server every fake is (LocalServer, QuietHandler), a
scriptable endpoint that records what the SDKs send, and the contract's JSON Schema validator."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from jsonschema import Draft202012Validator, FormatChecker

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "contracts" / "schema" / "event.v1.json"


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers a whole body in one call."""

    def send_body(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer:
    """`handler` served on 127.0.0.1 (a free port unless given) from a background thread, while in
    `with`: what every fake server of these tests is."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@dataclass
class Received:
    """One request as the endpoint saw it, and what it answered."""

    headers: dict[str, str]
    raw: bytes
    body: Any
    status: int
    at: float


@dataclass
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None  # None: a minimal JSON body for the status


class FakeGateway(LocalServer):
    """Answers `POST /api/v1/events` like the gateway (202 by default, or scripted replies in order)
    and records every request, gunzipped and parsed. Start with `with FakeGateway() as gw:`."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._cond = threading.Condition()
        gateway = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer at once, not after the client's delayed ACK

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                data = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                reply = gateway._next_reply()
                if reply.delay:
                    time.sleep(reply.delay)
                with gateway._cond:
                    gateway.requests.append(
                        Received(dict(self.headers), data, json.loads(data), reply.status, time.monotonic())
                    )
                    gateway._cond.notify_all()
                payload = reply.body or (
                    b'{"status":"queued"}' if reply.status < 300 else b'{"error":"scripted"}'
                )
                self.send_body(reply.status, payload, "application/json", reply.headers)

        super().__init__(Handler, port)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def script(self, *replies: Reply) -> None:
        with self._cond:
            self._script.extend(replies)

    def _next_reply(self) -> Reply:
        with self._cond:
            return self._script.popleft() if self._script else Reply()

    def accepted_events(self) -> list[dict[str, Any]]:
        with self._cond:
            return [e for r in self.requests if r.status < 300 for e in r.body["events"]]

    def all_events(self) -> list[dict[str, Any]]:
        with self._cond:
            return [e for r in self.requests for e in r.body["events"]]

    def wait_for_events(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                events = [e for r in self.requests if r.status < 300 for e in r.body["events"]]
                if len(events) >= count or time.monotonic() >= deadline:
                    return events
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            return list(self.requests)


class SilentEndpoint:
    """Accepts TCP connections and never answers: a gateway that hangs."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        self._sock.close()


def dead_url() -> str:
    """A URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid_payload(validator: Draft202012Validator, body: Any) -> None:
    """The request body is valid against the contract's JSON Schema, timestamps included."""
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    for event in body.get("events", [body]):
        stamp = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        assert stamp.tzinfo is not None
        if event["type"] == "span":
            for key in ("startTime", "endTime"):
                assert datetime.fromisoformat(event["body"][key].replace("Z", "+00:00")).tzinfo
