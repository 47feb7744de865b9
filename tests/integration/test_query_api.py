"""The query role against the real embedded ClickHouse engine: what a dashboard reads is what was stored,
newest first, paged without repeats, counted exactly, and never another project's.

Time is pinned (`NOW`, noon UTC today) so that "today", buckets and windows are deterministic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.role import build_gateway
from gateway.sink import MemorySink
from tests.support.query_app import InProcessQuery, enriched, inprocess_query

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=30, microsecond=0)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[InProcessQuery]:
    async with inprocess_query(tmp_path, clock=lambda: NOW) as q:
        yield q


async def get(api: InProcessQuery, url: str, /, **query: Any) -> Any:
    response = await api.client.get(url, params=query, headers=api.a.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def error(
    api: InProcessQuery, url: str, expected: int, /, headers: dict[str, str] | None = None, **query: Any
) -> Any:
    response = await api.client.get(url, params=query, headers=api.a.headers if headers is None else headers)
    assert response.status_code == expected, response.text
    return response.json()


# -- events --------------------------------------------------------------------------------------


async def test_events_newest_first_with_filters(api: InProcessQuery) -> None:
    a = api.a.project_id
    rows = [
        enriched(
            a, NOW - 1 * MIN, model="gpt-4o", status="ok", latency_ms=120.0, input_tokens=5, cost_usd=0.5
        ),
        enriched(a, NOW - 2 * MIN, model="gpt-4o", status="error", error_type="RateLimitError"),
        enriched(a, NOW - 3 * MIN, model="claude-3-5", status="ok", trace_id="t1", span_id="s1"),
        enriched(a, NOW - 2 * HOUR, type="log", model="", provider="", status="", level="warn"),
        enriched(a, NOW - 3 * DAY, model="claude-3-5", status="error"),
    ]
    await api.insert([*rows, enriched(api.b.project_id, NOW, model="gpt-4o")])

    page = await get(api, "/api/v1/events")
    assert [e["eventId"] for e in page["events"]] == [r.event_id for r in rows]
    assert page["nextCursor"] is None
    first = page["events"][0]
    assert first == {
        "eventId": rows[0].event_id,
        "type": "llm_call",
        "timestamp": first["timestamp"],  # compared as times below
        "receivedAt": first["receivedAt"],
        "model": "gpt-4o",
        "provider": "openai",
        "status": "ok",
        "errorType": None,
        "level": None,
        "latencyMs": 120.0,
        "tokens": {"input": 5, "output": 0, "cached": 0, "reasoning": 0},
        "costUsd": 0.5,
        "traceId": None,
        "spanId": None,
    }
    assert ts(first["timestamp"]) == NOW - MIN
    assert "body" not in first  # bodies can be large: only the single-event endpoint has them
    log = page["events"][3]
    assert (log["type"], log["model"], log["status"], log["level"]) == ("log", None, None, "warn")

    async def ids(**query: Any) -> list[str]:
        return [e["eventId"] for e in (await get(api, "/api/v1/events", **query))["events"]]

    assert await ids(type="log") == [rows[3].event_id]
    assert await ids(model="gpt-4o") == [rows[0].event_id, rows[1].event_id]
    assert await ids(status="error") == [rows[1].event_id, rows[4].event_id]
    assert await ids(model="claude-3-5", status="error") == [rows[4].event_id]
    assert await ids(**{"from": iso(NOW - HOUR)}) == [r.event_id for r in rows[:3]]
    assert await ids(**{"from": iso(NOW - DAY), "to": iso(NOW - 2 * MIN)}) == [
        rows[2].event_id,
        rows[3].event_id,
    ]
    # `to` is exclusive, `from` inclusive
    assert await ids(**{"from": iso(NOW - 2 * MIN), "to": iso(NOW - MIN)}) == [rows[1].event_id]
    assert await ids(limit=2) == [rows[0].event_id, rows[1].event_id]
    assert await ids(limit=2, offset=2) == [rows[2].event_id, rows[3].event_id]
    assert await ids(model="no-such-model") == []


async def test_bad_list_parameters_are_422_naming_the_parameter(api: InProcessQuery) -> None:
    cases: list[tuple[dict[str, str], str]] = [
        ({"limit": "501"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"type": "metric"}, "type"),
        ({"status": "failed"}, "status"),
        ({"from": "2025-01-01"}, "from"),
        ({"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]
    for query, parameter in cases:
        body = await error(api, "/api/v1/events", 422, **query)
        assert (body["error"], body["parameter"]) == ("invalid_parameter", parameter), query
        assert body["message"].startswith(parameter)


async def test_cursor_pages_walk_every_row_exactly_once(api: InProcessQuery) -> None:
    a = api.a.project_id
    # 47 events, many sharing a timestamp: the cursor must break ties by event id.
    rows = [enriched(a, NOW - (i // 4) * MIN) for i in range(47)]
    await api.insert(rows)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await get(api, "/api/v1/events", limit=10, **({"cursor": cursor} if cursor else {}))
        seen += [e["eventId"] for e in page["events"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == len(set(seen)) == 47
    assert set(seen) == {r.event_id for r in rows}
    stamps = [ts(e["timestamp"]) for e in (await get(api, "/api/v1/events", limit=47))["events"]]
    assert stamps == sorted(stamps, reverse=True)
    # offset paging reads the same order
    by_offset = [
        e["eventId"]
        for off in range(0, 47, 10)
        for e in (await get(api, "/api/v1/events", limit=10, offset=off))["events"]
    ]
    assert by_offset == seen
    # a page that ends exactly at the last row says so
    page = await get(api, "/api/v1/events", limit=47)
    assert page["nextCursor"] is None
    assert (await get(api, "/api/v1/events", limit=46))["nextCursor"] is not None


async def test_single_event_has_everything_and_its_body(api: InProcessQuery) -> None:
    body = {"model": "gpt-4o", "prompt": [{"role": "user", "content": "hi"}], "tokens": {"input": 3}}
    context = {"env": "prod", "userId": "u1", "tags": {"team": "search"}}
    row = enriched(
        api.a.project_id,
        NOW - MIN,
        body=json.dumps(body),
        context=json.dumps(context),
        env="prod",
        user_id="u1",
        session_id="s-9",
        trace_id="tr",
        span_id="sp",
        parent_span_id="parent",
        cost_usd=0.25,
        cost_source="table",
        timestamp_adjusted=1,
    )
    await api.insert([row])
    event = await get(api, f"/api/v1/events/{row.event_id}")
    assert event["eventId"] == row.event_id
    assert event["projectId"] == api.a.project_id
    assert event["body"] == body
    assert event["context"] == context
    assert (event["env"], event["userId"], event["sessionId"]) == ("prod", "u1", "s-9")
    assert (event["traceId"], event["spanId"], event["parentSpanId"]) == ("tr", "sp", "parent")
    assert (event["costUsd"], event["costSource"], event["timestampAdjusted"]) == (0.25, "table", True)
    assert event["release"] is None


async def test_unknown_or_foreign_event_is_404_and_malformed_id_422(api: InProcessQuery) -> None:
    foreign = enriched(api.b.project_id, NOW - MIN, body='{"prompt": "B\'s secret"}')
    await api.insert([foreign, enriched(api.a.project_id, NOW - MIN)])
    unknown = await error(api, f"/api/v1/events/{uuid.uuid4()}", 404)
    other = await error(api, f"/api/v1/events/{foreign.event_id}", 404)
    # no existence leak: another project's event looks exactly like one that does not exist
    assert unknown["error"] == other["error"] == "not_found"
    assert "secret" not in json.dumps(other)
    assert (await error(api, "/api/v1/events/not-a-uuid", 422))["parameter"] == "event_id"
    # B reads its own event
    response = await api.client.get(f"/api/v1/events/{foreign.event_id}", headers=api.b.headers)
    assert response.status_code == 200
    assert response.json()["body"] == {"prompt": "B's secret"}


# -- stats ---------------------------------------------------------------------------------------


async def test_overview_counts_exactly_what_was_stored(api: InProcessQuery) -> None:
    a = api.a.project_id
    recent = [  # in the default window (last 24 h) and today
        enriched(a, NOW - 1 * MIN, input_tokens=100, output_tokens=20, cached_tokens=5, cost_usd=0.1234567),
        enriched(a, NOW - 2 * MIN, input_tokens=7, output_tokens=3, cost_usd=0.0000031, status="error"),
        enriched(a, NOW - 3 * HOUR, model="claude-3-5", input_tokens=50, output_tokens=50, cost_usd=1.5),
        enriched(a, NOW - 11 * HOUR, status="error", cost_usd=None),  # unknown price: no cost
        # not requests, but tokens and cost still count
        enriched(a, NOW - 4 * HOUR, type="token_usage", input_tokens=1000, output_tokens=1, cost_usd=0.01),
        enriched(a, NOW - 5 * HOUR, type="log", model="", level="info"),
    ]
    yesterday = [enriched(a, NOW - 13 * HOUR), enriched(a, NOW - 20 * HOUR, status="error")]
    week = [enriched(a, NOW - 3 * DAY, input_tokens=999), enriched(a, NOW - 6 * DAY)]
    month = [enriched(a, NOW - 10 * DAY), enriched(a, NOW - 29 * DAY)]
    old = [enriched(a, NOW - 40 * DAY)]
    foreign = [enriched(api.b.project_id, NOW - MIN, input_tokens=10**6, cost_usd=99.0) for _ in range(3)]
    await api.insert([*recent, *yesterday, *week, *month, *old, *foreign])

    o = await get(api, "/api/v1/stats/overview")
    assert o["projectId"] == a
    assert o["requests"] == {"today": 4, "last7d": 4 + 2 + 2, "last30d": 4 + 2 + 2 + 2}
    assert o["window"]["requests"] == 6
    assert o["window"]["errors"] == 3
    assert ts(o["window"]["from"]) == NOW - DAY
    assert ts(o["window"]["to"]) == NOW
    assert o["errorRate"] == pytest.approx(3 / 6, rel=1e-9)
    assert o["tokens"] == {"input": 100 + 7 + 50 + 1000, "output": 20 + 3 + 50 + 1, "cached": 5}
    assert o["costUsd"] == pytest.approx(0.1234567 + 0.0000031 + 1.5 + 0.01, rel=1e-9)

    # an explicit window: only the three newest calls
    o = await get(api, "/api/v1/stats/overview", **{"from": iso(NOW - 3 * HOUR), "to": iso(NOW)})
    assert (o["window"]["requests"], o["window"]["errors"]) == (3, 1)
    assert o["costUsd"] == pytest.approx(0.1234567 + 0.0000031 + 1.5, rel=1e-9)
    assert o["requests"]["today"] == 4  # the fixed counters ignore the window


async def test_overview_without_data_is_zero(api: InProcessQuery) -> None:
    o = await get(api, "/api/v1/stats/overview")
    assert o["requests"] == {"today": 0, "last7d": 0, "last30d": 0}
    assert (o["errorRate"], o["costUsd"], o["tokens"]["input"]) == (0.0, 0.0, 0)


async def test_timeseries_buckets_are_zero_filled(api: InProcessQuery) -> None:
    a = api.a.project_id
    start = NOW.replace(second=0) - 6 * HOUR  # 06:00
    await api.insert(
        [
            enriched(a, start + 10 * MIN, input_tokens=10, output_tokens=1, cost_usd=0.5),
            enriched(a, start + 20 * MIN, input_tokens=10, output_tokens=1, cost_usd=0.25, status="error"),
            enriched(a, start + 4 * HOUR + 59 * MIN, input_tokens=3, output_tokens=2),
            enriched(a, start - MIN),  # before the range
            enriched(a, start + 6 * HOUR),  # at `to`: excluded
        ]
    )
    query = {"interval": "hour", "from": iso(start), "to": iso(start + 6 * HOUR)}
    s = await get(api, "/api/v1/stats/timeseries", metric="requests", **query)
    assert [ts(t) for t in s["timestamps"]] == [start + h * HOUR for h in range(6)]
    assert (s["metric"], s["interval"]) == ("requests", "hour")
    assert s["series"] == [{"name": "requests", "values": [2, 0, 0, 0, 1, 0], "model": None, "other": False}]

    s = await get(api, "/api/v1/stats/timeseries", metric="errors", **query)
    assert s["series"][0]["values"] == [1, 0, 0, 0, 0, 0]
    s = await get(api, "/api/v1/stats/timeseries", metric="tokens", **query)
    assert {x["name"]: x["values"] for x in s["series"]} == {
        "input": [20, 0, 0, 0, 3, 0],
        "output": [2, 0, 0, 0, 2, 0],
    }
    s = await get(api, "/api/v1/stats/timeseries", metric="cost", **query)
    assert s["series"][0]["name"] == "costUsd"
    assert s["series"][0]["values"] == pytest.approx([0.75, 0, 0, 0, 0, 0], rel=1e-9)

    # minute buckets over 30 minutes; a range with nothing in it is all zeros
    s = await get(
        api,
        "/api/v1/stats/timeseries",
        metric="requests",
        interval="minute",
        **{"from": iso(start), "to": iso(start + 30 * MIN)},
    )
    values = s["series"][0]["values"]
    assert len(values) == 30
    assert (values[10], values[20], sum(values)) == (1, 1, 2)
    s = await get(
        api, "/api/v1/stats/timeseries", metric="requests", interval="day", **{"from": iso(NOW - 30 * DAY)}
    )
    assert len(s["timestamps"]) == 31
    assert s["series"][0]["values"][-1] == 5  # all of them are today (05:59 to 12:00)
    assert sum(s["series"][0]["values"]) == 5


async def test_timeseries_latency_percentiles(api: InProcessQuery) -> None:
    a = api.a.project_id
    minute = NOW.replace(second=0) - 10 * MIN
    await api.insert(
        [enriched(a, minute + timedelta(milliseconds=i), latency_ms=float(i)) for i in range(1, 1001)]
    )
    s = await get(
        api,
        "/api/v1/stats/timeseries",
        metric="latency",
        interval="minute",
        **{"from": iso(minute - 2 * MIN), "to": iso(minute + 2 * MIN)},
    )
    by_name = {x["name"]: x["values"] for x in s["series"]}
    assert list(by_name) == ["p50", "p95", "p99"]
    # no calls in a minute is no latency (null), not 0 ms
    assert by_name["p50"][0] is None
    assert by_name["p50"][3] is None
    assert by_name["p50"][2] == pytest.approx(500, rel=0.03)
    assert by_name["p95"][2] == pytest.approx(950, rel=0.03)
    assert by_name["p99"][2] == pytest.approx(990, rel=0.03)


async def test_timeseries_breakdown_by_model(api: InProcessQuery) -> None:
    a = api.a.project_id
    minute = NOW.replace(second=0) - 30 * MIN
    counts = {"gpt-4o": 8, "claude-3-5": 5, "gemini": 3, "mistral": 2, "llama": 1}
    rows = [enriched(a, minute + (i % 2) * MIN, model=model) for model, n in counts.items() for i in range(n)]
    await api.insert([*rows, enriched(a, minute, type="log", model="")])
    query = {"metric": "requests", "interval": "minute", "from": iso(minute), "to": iso(minute + 3 * MIN)}
    s = await get(api, "/api/v1/stats/timeseries", groupBy="model", top=2, **query)
    assert [(x["model"], x["other"], x["values"]) for x in s["series"]] == [
        ("gpt-4o", False, [4, 4, 0]),
        ("claude-3-5", False, [3, 2, 0]),
        (None, True, [4, 2, 0]),  # gemini + mistral + llama
    ]
    total = await get(api, "/api/v1/stats/timeseries", **query)
    assert total["series"][0]["values"] == [11, 8, 0]
    # top covers every model: no "other"
    s = await get(api, "/api/v1/stats/timeseries", groupBy="model", top=10, **query)
    assert [x["model"] for x in s["series"]] == ["gpt-4o", "claude-3-5", "gemini", "mistral", "llama"]
    # the model filter
    s = await get(api, "/api/v1/stats/timeseries", model="gemini", **query)
    assert s["series"][0]["values"] == [2, 1, 0]
    # latency grouped: three percentiles per model
    s = await get(api, "/api/v1/stats/timeseries", **{**query, "metric": "latency"}, groupBy="model", top=1)
    assert [(x["name"], x["model"]) for x in s["series"]][:3] == [
        ("p50", "gpt-4o"),
        ("p95", "gpt-4o"),
        ("p99", "gpt-4o"),
    ]


async def test_timeseries_parameters(api: InProcessQuery) -> None:
    assert (await error(api, "/api/v1/stats/timeseries", 422))["parameter"] == "metric"
    assert (await error(api, "/api/v1/stats/timeseries", 422, metric="p99"))["parameter"] == "metric"
    too_many = {"metric": "requests", "interval": "minute", "from": iso(NOW - 2 * DAY)}
    assert (await error(api, "/api/v1/stats/timeseries", 422, **too_many))["parameter"] == "interval"
    assert (await error(api, "/api/v1/stats/timeseries", 422, metric="cost", groupBy="env"))[
        "parameter"
    ] == "groupBy"
    s = await get(api, "/api/v1/stats/timeseries", metric="requests")
    assert s["interval"] == "hour"  # 24 h by default, in hours
    assert len(s["timestamps"]) == 25  # 12:00:30 yesterday .. 12:00:30 today touches 25 hours


async def test_model_breakdown_table(api: InProcessQuery) -> None:
    a = api.a.project_id
    rows = [
        *(
            enriched(
                a,
                NOW - i * MIN,
                model="gpt-4o",
                latency_ms=100.0 * (i + 1),
                input_tokens=10,
                output_tokens=2,
                cost_usd=0.01,
            )
            for i in range(10)
        ),
        enriched(a, NOW - MIN, model="gpt-4o", status="error", latency_ms=5000.0),
        enriched(a, NOW - HOUR, model="claude-3-5", input_tokens=1, cost_usd=0.5),
        enriched(a, NOW - HOUR, type="token_usage", model="embed-3", input_tokens=400),
        enriched(a, NOW - 2 * DAY, model="old-model"),  # outside the default 24 h
        enriched(a, NOW - MIN, type="log", model=""),
    ]
    await api.insert(rows)
    body = await get(api, "/api/v1/stats/models")
    models = {m["model"]: m for m in body["models"]}
    assert [m["model"] for m in body["models"]] == ["gpt-4o", "claude-3-5", "embed-3"]
    gpt = models["gpt-4o"]
    assert (gpt["requests"], gpt["errors"]) == (11, 1)
    assert gpt["errorRate"] == pytest.approx(1 / 11, rel=1e-9)
    assert gpt["tokens"] == {"input": 100, "output": 20, "cached": 0}
    assert gpt["costUsd"] == pytest.approx(0.1, rel=1e-9)
    assert 500 <= gpt["latencyMs"]["p50"] <= 700
    assert gpt["latencyMs"]["p95"] >= 1000
    assert models["claude-3-5"]["latencyMs"] == {"p50": None, "p95": None, "p99": None}
    assert (models["embed-3"]["requests"], models["embed-3"]["tokens"]["input"]) == (0, 400)


# -- isolation, authentication, plumbing ---------------------------------------------------------


async def test_a_key_never_reads_another_project(api: InProcessQuery) -> None:
    b = api.b.project_id
    b_event = enriched(b, NOW - MIN, model="b-model", cost_usd=7.0)
    await api.insert([b_event, *(enriched(b, NOW - i * MIN) for i in range(5))])
    for url in (
        "/api/v1/events",
        "/api/v1/stats/overview",
        "/api/v1/stats/models",
        f"/api/v1/events/{b_event.event_id}",
    ):
        body = await error(api, url, 403, project_id=b)
        assert body["error"] == "forbidden"
    assert (await error(api, "/api/v1/stats/timeseries", 403, project_id=b, metric="requests"))[
        "error"
    ] == "forbidden"
    # without project_id the key reads its own project, where B's rows do not exist
    assert (await get(api, "/api/v1/events"))["events"] == []
    assert (await get(api, "/api/v1/stats/overview"))["requests"]["today"] == 0
    assert (await get(api, "/api/v1/stats/models"))["models"] == []
    assert sum((await get(api, "/api/v1/stats/timeseries", metric="requests"))["series"][0]["values"]) == 0
    assert (await get(api, "/api/v1/stats/timeseries", metric="requests", groupBy="model"))["series"] == []
    await error(api, f"/api/v1/events/{b_event.event_id}", 404)
    # naming its own project is fine, and B sees its data
    assert (await get(api, "/api/v1/events", project_id=api.a.project_id))["events"] == []
    response = await api.client.get("/api/v1/stats/overview", headers=api.b.headers)
    assert response.json()["requests"]["today"] == 6


async def test_authentication(api: InProcessQuery) -> None:
    missing = await api.client.get("/api/v1/events")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["error"] == "unauthorized"
    for bad in ("sk_live_" + "x" * 40, "not-a-key"):
        assert (await error(api, "/api/v1/stats/overview", 403, headers={"X-API-Key": bad}))[
            "error"
        ] == "forbidden"
    bearer = await api.client.get("/api/v1/events", headers={"Authorization": f"Bearer {api.a.secret}"})
    assert bearer.status_code == 200
    key, secret = await api.control.create_key(api.a.project_id, "revoked")
    await api.control.revoke_key(key.id)
    await error(api, "/api/v1/events", 403, headers={"X-API-Key": secret})


async def test_clickhouse_failure_is_503_not_500(api: InProcessQuery) -> None:
    await api.clickhouse.command("RENAME TABLE events_1m TO events_1m_gone")
    response = await api.client.get("/api/v1/stats/overview", headers=api.a.headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"] == "unavailable"


async def test_readiness_and_openapi(api: InProcessQuery) -> None:
    ready = await api.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["roles"] == ["query"]
    doc = (await api.client.get("/schema/openapi.json")).json()
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/stats/overview",
        "/api/v1/stats/timeseries",
        "/api/v1/stats/models",
    ):
        operation = doc["paths"][path]["get"]
        assert operation["summary"]
        assert operation["description"]
        assert "principal" not in {p["name"] for p in operation.get("parameters", [])}


async def test_all_roles_share_the_events_path(tmp_path: Path) -> None:
    """In `--roles all`, the gateway's POST and the query's GET both live on /api/v1/events."""
    sink = MemorySink()
    async with inprocess_query(tmp_path, other_roles=[lambda ctx: build_gateway(ctx, sink)]) as api:
        posted = await api.client.post(
            "/api/v1/events",
            json={"type": "log", "body": {"level": "info", "message": "hi"}},
            headers=api.a.headers,
        )
        assert posted.status_code == 202, posted.text
        listed = await api.client.get("/api/v1/events", headers=api.a.headers)
        assert listed.status_code == 200
        assert listed.json() == {"events": [], "nextCursor": None}  # nothing sinks in this test


# -- request bodies: every way the bytes can be wrong is the client's 422, never a 5xx ------------

HOSTILE_BODIES = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "an object nested 65 deep": b'{"name":' * 65 + b'"x"' + b"}" * 65,
    "invalid UTF-8 in a string": b'{"name": "\xff\xfe", "email": "\xc3", "password": "\xed\xa0\x80"}',
    "a lone surrogate escape": b'{"name": "\\ud800x"}',
    "a NUL in a string": b'{"name": "a\\u0000b", "email": "a\\u0000@example.com", "password": "p\\u0000"}',
    "wrong types": b'{"name": 7, "email": [], "password": {}, "kind": 1, "role": null}',
    "an array": b"[1, 2]",
    "truncated": b'{"name": "x',
    "empty": b"",
    "NUL bytes": b"\x00\x00",
    "a 5,000-digit number": b'{"name": 1' + b"0" * 5000 + b"}",
    "NaN": b'{"name": NaN}',
}


async def test_every_json_endpoint_answers_422_to_hostile_bodies(api: InProcessQuery) -> None:
    signed_up = await api.client.post(
        "/api/v1/auth/signup", json={"email": "fuzz@example.com", "password": "a long test password"}
    )
    assert signed_up.status_code == 201, signed_up.text
    project = await api.client.post("/api/v1/projects", json={"name": "mine"})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    endpoints = [
        ("POST", "/api/v1/projects"),
        ("PATCH", f"/api/v1/projects/{pid}"),
        ("POST", f"/api/v1/projects/{pid}/keys"),
        ("POST", f"/api/v1/projects/{pid}/members"),
        ("POST", f"/api/v1/projects/{pid}/rules"),
        ("PATCH", f"/api/v1/projects/{pid}/rules/rul_none"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/signup"),  # last: a 201 here would sign the client in as someone else
    ]
    for method, url in endpoints:
        for name, body in HOSTILE_BODIES.items():
            response = await api.client.request(
                method, url, content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 422, (method, url, name, response.status_code, response.text)
            problem = response.json()
            assert problem["error"] == "invalid_parameter", (method, url, name)
            assert problem["message"], (method, url, name)
    deep = await api.client.post("/api/v1/projects", content=HOSTILE_BODIES["nested 100,000 deep"])
    assert "nested deeper than 64 levels" in deep.json()["message"]
    nul = await api.client.post("/api/v1/projects", content=HOSTILE_BODIES["a NUL in a string"])
    assert "NUL" in nul.json()["message"]
    names = [p["name"] for p in (await api.client.get("/api/v1/projects")).json()["projects"]]
    assert names == ["mine"]  # nothing was created by any of them
