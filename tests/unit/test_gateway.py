"""The gateway role over an in-memory sink: status codes, bodies, what reaches the sink."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import jsonschema
import pytest
from prometheus_client import CollectorRegistry

from contracts.codec import decode_envelope, decode_events, encode
from contracts.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES, MAX_REQUEST_BYTES
from core.control.key_cache import KeyCache
from core.control.store import KeyIdentity
from core.metrics import GatewayMetrics
from core.settings import SettingsError, load_settings
from gateway.auth import GatewayKeys, extract_key
from gateway.errors import (
    BadBody,
    Forbidden,
    GatewayError,
    InvalidEvents,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    UnsupportedEncoding,
)
from gateway.ingest import Ingestor
from gateway.sink import MemorySink, SinkUnavailable
from tests.support.inprocess import inprocess_gateway

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples"
LOG = {"type": "log", "body": {"level": "info", "message": "hello"}}
URL = "/api/v1/events"


def sent(sink: MemorySink) -> list[object]:
    return [event for _, value in sink.records for event in decode_envelope(value).events]


async def test_single_event_is_queued_and_attributed(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(
            URL, content=(EXAMPLES / "minimal.json").read_bytes(), headers=gw.headers
        )
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "queued"
        assert isinstance(gw.sink, MemorySink)
        [(key, value)] = gw.sink.records
        envelope = decode_envelope(value)
        assert key == b"unit-project"
        assert envelope.project_id == "unit-project"
        assert envelope.key_id.startswith("key_")
        [event] = envelope.events
        assert str(event.event_id) == body["eventId"]
        assert event.project_id == "unit-project"
        assert event.timestamp == envelope.received_at  # no timestamp sent: the gateway's clock


async def test_batch_returns_every_id_in_order(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(
            URL, content=(EXAMPLES / "batch.json").read_bytes(), headers=gw.headers
        )
        assert response.status_code == 202
        assert response.json() == {
            "status": "queued",
            "accepted": 2,
            "eventIds": ["0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e08", "0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e09"],
        }
        assert len(gw.sink.records) == 1  # one record per request


async def test_bearer_header_works(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        headers = {"Authorization": f"Bearer {gw.secret}"}
        assert (await gw.client.post(URL, json=LOG, headers=headers)).status_code == 202


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Basic abc"}, 401),
        ({"X-API-Key": "sk_live_thisdoesnotexistatallxx"}, 403),
        ({"X-API-Key": "not-even-a-key"}, 403),
    ],
)
async def test_auth_outcomes_write_nothing(tmp_path: Path, headers: dict[str, str], status: int) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(URL, json=LOG, headers=headers)
        assert response.status_code == status
        assert response.json()["error"] in ("unauthorized", "forbidden")
        assert gw.sink.records == []  # type: ignore[attr-defined]


async def test_revoked_key_is_refused_after_the_cache_ttl(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, key_cache_ttl_s=0.2) as gw:
        [key] = await gw.control.list_keys(gw.project_id)
        assert (await gw.client.post(URL, json=LOG, headers=gw.headers)).status_code == 202
        assert await gw.control.revoke_key(key.id)
        await asyncio.sleep(0.3)
        assert (await gw.client.post(URL, json=LOG, headers=gw.headers)).status_code == 403


async def test_event_for_another_project_is_forbidden(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        batch = {"events": [LOG, {**LOG, "projectId": "someone-else"}]}
        response = await gw.client.post(URL, json=batch, headers=gw.headers)
        assert response.status_code == 403
        assert "$.events[1].projectId" in response.json()["message"]
        assert gw.sink.records == []  # type: ignore[attr-defined]
        own = {**LOG, "projectId": gw.project_id}
        assert (await gw.client.post(URL, json=own, headers=gw.headers)).status_code == 202


async def test_mixed_batch_is_rejected_whole_with_every_error(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        batch = {
            "events": [LOG, {"type": "llm_call", "body": {"model": "m", "tokens": {"input": -1}}}, LOG, {}]
        }
        response = await gw.client.post(URL, json=batch, headers=gw.headers)
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "invalid_events"
        assert [(e["index"], e["path"]) for e in body["errors"]] == [
            (1, "$.events[1].body.tokens.input"),
            (3, "$.events[3]"),
        ]
        assert gw.sink.records == []  # type: ignore[attr-defined]


async def test_invalid_json_is_422(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(URL, content=b'{"type": ', headers=gw.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["path"] == "$"


async def test_oversized_body_is_413(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, max_body_bytes=10_000) as gw:
        big = {**LOG, "body": {"level": "info", "message": "x" * 20_000}}
        response = await gw.client.post(URL, json=big, headers=gw.headers)
        assert response.status_code == 413
        assert gw.sink.records == []  # type: ignore[attr-defined]


def log_of_size(size: int, event_id: str = "0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e08") -> dict[str, object]:
    """A log event whose encoding as the gateway writes it (project and timestamp stamped) is `size` bytes."""
    event: dict[str, object] = {
        "type": "log",
        "eventId": event_id,
        "projectId": "unit-project",
        "timestamp": "2026-01-01T00:00:00Z",
        "body": {"level": "info", "message": ""},
    }
    decoded = decode_events(json.dumps(event).encode())
    assert isinstance(decoded, tuple)
    overhead = len(encode(decoded[0][0]))
    return {**event, "body": {"level": "info", "message": "x" * (size - overhead)}}


async def test_event_over_the_event_limit_as_written_is_413_naming_its_index(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        at_limit = log_of_size(MAX_EVENT_BYTES)
        over = log_of_size(MAX_EVENT_BYTES + 1, event_id="0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e09")
        response = await gw.client.post(URL, json={"events": [LOG, over]}, headers=gw.headers)
        assert response.status_code == 413, response.text
        body = response.json()
        assert body["error"] == "payload_too_large"
        assert body["errors"] == [
            {
                "path": "$.events[1]",
                "index": 1,
                "message": f"event is {MAX_EVENT_BYTES + 1} bytes as written, over the "
                f"{MAX_EVENT_BYTES}-byte event limit",
            }
        ]
        single = await gw.client.post(URL, json=over, headers=gw.headers)
        assert single.status_code == 413
        assert single.json()["errors"][0]["path"] == "$"
        assert gw.sink.records == []  # type: ignore[attr-defined]
        accepted = await gw.client.post(URL, json=at_limit, headers=gw.headers)
        assert accepted.status_code == 202, accepted.text
        [(_, value)] = gw.sink.records  # type: ignore[attr-defined]
        assert len(encode(decode_envelope(value).events[0])) == MAX_EVENT_BYTES


async def test_event_size_is_measured_as_written_not_as_sent(tmp_path: Path) -> None:
    # `1e9` (3 bytes) is written as `1000000000.0` (12): 1.6 MB sent, 5.2 MB written.
    floats = b'{"type": "custom", "body": {"a": [' + b",".join([b"1e9"] * 400_000) + b"]}}"
    assert len(floats) < MAX_EVENT_BYTES
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(URL, content=floats, headers=gw.headers)
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["message"].startswith("event is 5")
        assert gw.sink.records == []  # type: ignore[attr-defined]


async def test_request_over_the_record_limit_as_written_is_413(tmp_path: Path) -> None:
    # Two events of ~3.5 MB each as written: each fits the event limit, together not one record.
    event = b'{"type": "custom", "body": {"a": [' + b",".join([b"1e9"] * 270_000) + b"]}}"
    payload = b'{"events": [' + event + b"," + event + b"]}"
    assert len(payload) < MAX_REQUEST_BYTES
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(URL, content=payload, headers=gw.headers)
        assert response.status_code == 413, response.text
        assert f"over the {MAX_RECORD_BYTES}-byte record limit" in response.json()["message"]
        assert "errors" not in response.json()
        assert gw.sink.records == []  # type: ignore[attr-defined]
        one = await gw.client.post(URL, content=b'{"events": [' + event + b"]}", headers=gw.headers)
        assert one.status_code == 202, one.text


HOSTILE = {
    "nesting past the limit": b'{"type": "custom", "body": {"a": ' + b"[" * 63 + b"]" * 63 + b"}}",
    "deep enough to exhaust the stack": b'{"type": "custom", "body": {"a": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    "unclosed nesting": b"[" * 200_000,
    "invalid UTF-8 in a string": b'{"type": "log", "body": {"level": "info", "message": "\xff\xfe"}}',
    "invalid UTF-8 in a key": b'{"type": "custom", "body": {"\xc3(": 1}}',
    "an encoded surrogate": b'{"events": [{"type": "log", "body": {"level": "info", "message": "\xed\xa0\x80"}}]}',
    "a lone surrogate escape": b'{"type": "log", "body": {"level": "info", "message": "\\udc00"}}',
    "an integer of 5,000 digits": b'{"type": "custom", "body": {"n": ' + b"7" * 5000 + b"}}",
    "a float out of range": b'{"type": "custom", "body": {"n": -1e400}}',
    "a NUL byte": b'{"type": "log", "body": {"level": "info", "message": "a\x00b"}}',
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_bodies_get_422_and_write_nothing(tmp_path: Path, payload: bytes) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        response = await gw.client.post(URL, content=payload, headers=gw.headers)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["path"].startswith("$")
        assert error["message"]
        assert gw.sink.records == []  # type: ignore[attr-defined]


async def test_gzip_bomb_is_413_and_gzip_is_accepted(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, max_body_bytes=100_000) as gw:
        headers = gw.headers | {"Content-Encoding": "gzip"}
        bomb = gzip.compress(
            b'{"type": "log", "body": {"level": "info", "message": "' + b"x" * 500_000 + b'"}}'
        )
        response = await gw.client.post(URL, content=bomb, headers=headers)
        assert response.status_code == 413
        assert "decompression" in response.json()["message"]
        ok = await gw.client.post(URL, content=gzip.compress(json.dumps(LOG).encode()), headers=headers)
        assert ok.status_code == 202
        assert len(gw.sink.records) == 1  # type: ignore[attr-defined]


async def test_kafka_unavailable_is_503_with_retry_after(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.fail_with = "kafka down"
    async with inprocess_gateway(tmp_path, sink=sink) as gw:
        response = await gw.client.post(URL, json=LOG, headers=gw.headers)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        ready = await gw.client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["problems"] == ["kafka down"]


class BlockingSink(MemorySink):
    """Holds every send until released: fills the gateway's in-flight budget."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.waiting = 0

    async def send(self, key: bytes, value: bytes) -> None:
        self.waiting += 1
        await self.release.wait()
        await super().send(key, value)


async def test_load_is_shed_beyond_the_inflight_cap() -> None:
    registry = CollectorRegistry()
    sink = BlockingSink()
    ingestor = Ingestor(sink, GatewayMetrics(registry), max_inflight_requests=3, max_inflight_events=1000)
    identity = KeyIdentity(key_id="key_1", project_id="p")
    payload = json.dumps(LOG).encode()
    held = [asyncio.create_task(ingestor.ingest(identity, payload)) for _ in range(3)]
    while sink.waiting < 3:
        await asyncio.sleep(0.01)
    with pytest.raises(Unavailable, match="overloaded") as info:
        await ingestor.ingest(identity, payload)
    assert info.value.retry_after == 1
    sink.release.set()
    assert len(await asyncio.gather(*held)) == 3
    assert len(sink.records) == 3
    assert registry.get_sample_value("lynex_gateway_requests_rejected_total", {"reason": "shed"}) == 1.0
    assert registry.get_sample_value("lynex_gateway_inflight_limit", {"kind": "requests"}) == 3.0
    assert registry.get_sample_value("lynex_gateway_inflight_requests") == 0.0


async def test_events_cap_sheds_a_large_batch() -> None:
    sink = MemorySink()
    ingestor = Ingestor(
        sink, GatewayMetrics(CollectorRegistry()), max_inflight_requests=10, max_inflight_events=5
    )
    identity = KeyIdentity(key_id="key_1", project_id="p")
    with pytest.raises(Unavailable):
        await ingestor.ingest(identity, json.dumps({"events": [LOG] * 6}).encode())
    await ingestor.ingest(identity, json.dumps({"events": [LOG] * 5}).encode())
    assert len(sink.records) == 1


async def test_metrics_count_accepted_and_rejected(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        await gw.client.post(URL, content=(EXAMPLES / "batch.json").read_bytes(), headers=gw.headers)
        await gw.client.post(URL, json=LOG)
        metrics = (await gw.client.get("/metrics")).text
        assert "lynex_gateway_events_accepted_total 2.0" in metrics
        assert 'lynex_gateway_requests_rejected_total{reason="unauthorized"} 1.0' in metrics


async def test_openapi_document_is_served(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        doc = (await gw.client.get("/schema/openapi.json")).json()
        assert "/api/v1/events" in doc["paths"]
        operation = doc["paths"]["/api/v1/events"]["post"]
        documented = {int(code) for code in operation["responses"]}
        assert documented == {202} | {cls.status for cls in GATEWAY_ERRORS}
        # The request body is published (the route reads it raw), self-contained, and fits the examples.
        body = operation["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert "$ref" not in json.dumps(schema)
        for path in sorted(EXAMPLES.glob("*.json")):
            jsonschema.validate(json.loads(path.read_bytes()), schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"type": "log", "body": {}}, schema)


GATEWAY_ERRORS = [
    Unauthorized,
    Forbidden,
    BadBody,
    PayloadTooLarge,
    UnsupportedEncoding,
    InvalidEvents,
    RateLimited,
    Unavailable,
]


def test_readme_status_table_lists_every_answer_of_the_gateway() -> None:
    readme = (EXAMPLES.parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| answer | when |") : readme.index("**A batch is all-or-nothing.**")]
    rows = {int(line[2:5]) for line in table.splitlines() if line[2:5].isdigit()}
    assert rows == {202} | {cls.status for cls in GATEWAY_ERRORS}
    assert set(GATEWAY_ERRORS) == set(_leaves(GatewayError))


def _leaves(cls: type) -> list[type]:
    subclasses = cls.__subclasses__()
    return [leaf for sub in subclasses for leaf in _leaves(sub)] if subclasses else [cls]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unauthorized("x"), 401),
        (Forbidden("x"), 403),
        (BadBody("x"), 400),
        (PayloadTooLarge("x"), 413),
        (UnsupportedEncoding("x"), 415),
        (InvalidEvents([]), 422),
        (RateLimited("x", retry_after=3, limit=5), 429),
        (Unavailable("x", retry_after=2), 503),
    ],
)
def test_every_error_maps_to_one_status(error: GatewayError, status: int) -> None:
    assert error.status == status
    if status in (429, 503):
        assert error.headers()["Retry-After"].isdigit()


def test_extract_key() -> None:
    assert extract_key({"x-api-key": "sk_live_a"}) == "sk_live_a"
    assert extract_key({"authorization": "Bearer sk_live_b "}) == "sk_live_b"
    with pytest.raises(Unauthorized):
        extract_key({"authorization": "Token sk_live_b"})


class CountingControl:
    def __init__(self) -> None:
        self.calls = 0

    async def find_key(self, secret: str) -> object:
        self.calls += 1
        await asyncio.sleep(0.01)
        return None


async def test_key_cache_collapses_concurrent_misses_and_expires() -> None:
    now = [0.0]
    control = CountingControl()
    cache = KeyCache(control, ttl_s=5, clock=lambda: now[0])  # type: ignore[arg-type]
    keys = GatewayKeys(cache)
    secret = "sk_live_" + "a" * 30
    results = await asyncio.gather(*(keys.authenticate(secret) for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, Forbidden) for r in results)
    assert control.calls == 1
    await asyncio.gather(keys.authenticate(secret), return_exceptions=True)
    assert control.calls == 1  # negative result cached
    now[0] = 10.0
    await asyncio.gather(keys.authenticate(secret), return_exceptions=True)
    assert control.calls == 2


def test_sink_unavailable_is_an_exception() -> None:
    assert issubclass(SinkUnavailable, Exception)


async def test_cors_lets_browsers_send_and_read_errors(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path) as gw:
        preflight = await gw.client.options(
            URL, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        ok = await gw.client.post(URL, json=LOG, headers=gw.headers | {"Origin": "https://app.example"})
        assert ok.headers["access-control-allow-origin"] == "*"
        denied = await gw.client.post(URL, json=LOG, headers={"Origin": "https://app.example"})
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == "*"


def test_the_body_limit_may_be_lowered_but_not_raised_past_the_budget(tmp_path: Path) -> None:
    home = {"LYNEX_HOME": str(tmp_path)}
    lowered = load_settings(home | {"LYNEX_GATEWAY__MAX_BODY_BYTES": "20000"})
    assert lowered.gateway.max_body_bytes == 20_000
    assert load_settings(home).gateway.max_body_bytes == MAX_REQUEST_BYTES
    with pytest.raises(SettingsError, match="LYNEX_GATEWAY__MAX_BODY_BYTES"):
        load_settings(home | {"LYNEX_GATEWAY__MAX_BODY_BYTES": str(MAX_REQUEST_BYTES + 1)})
