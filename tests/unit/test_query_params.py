"""Query-string parsing of the read API: every bad value is a 422 naming its parameter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.control.keys import key_from_headers as extract_key
from query import params
from query.auth import Principal
from query.errors import Forbidden, InvalidParameter

NOW = datetime(2025, 3, 10, 12, 34, 56, 789000, tzinfo=UTC)
DAY = timedelta(days=1)


def problem(exc: pytest.ExceptionInfo[InvalidParameter]) -> str:
    return exc.value.parameter


# -- times and ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-10T12:00:00Z", datetime(2025, 3, 10, 12, tzinfo=UTC)),
        ("2025-03-10T14:00:00+02:00", datetime(2025, 3, 10, 12, tzinfo=UTC)),
        ("2025-03-10T14:00:00.250+02:00", datetime(2025, 3, 10, 12, 0, 0, 250000, tzinfo=UTC)),
        # `+` left unencoded in a query string arrives as a space
        ("2025-03-10T14:00:00 02:00", datetime(2025, 3, 10, 12, tzinfo=UTC)),
    ],
)
def test_times_are_iso8601_with_a_zone_and_come_back_in_utc(raw: str, expected: datetime) -> None:
    parsed = params.parse_time("from", raw)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize("raw", ["yesterday", "2025-03-10T12:00:00", "2025-03-10", "1969-12-31T00:00:00Z"])
def test_bad_times_name_the_parameter(raw: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        params.parse_time("to", raw)
    assert problem(exc) == "to"
    assert exc.value.status == 422


def test_absent_or_empty_time_is_none() -> None:
    assert params.parse_time("from", None) is None
    assert params.parse_time("from", "") is None


def test_range_defaults_end_now_and_span_back() -> None:
    r = params.parse_range(None, None, now=NOW, default_span=DAY)
    assert (r.start, r.end) == (NOW - DAY, NOW)
    r = params.parse_range("2025-03-01T00:00:00Z", None, now=NOW, default_span=DAY)
    assert (r.start, r.end) == (datetime(2025, 3, 1, tzinfo=UTC), NOW)
    r = params.parse_range(None, "2025-03-01T00:00:00Z", now=NOW, default_span=DAY)
    assert (r.start, r.end) == (datetime(2025, 2, 28, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))
    r = params.parse_range(None, None, now=NOW, default_span=DAY, open_end=timedelta(minutes=5))
    assert r.end == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("to", ["2025-03-01T00:00:00Z", "2025-02-01T00:00:00Z"])
def test_range_must_not_be_empty_or_inverted(to: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        params.parse_range("2025-03-01T00:00:00Z", to, now=NOW, default_span=DAY)
    assert problem(exc) == "from"


# -- integers and choices ------------------------------------------------------------------------


def test_limit_bounds() -> None:
    kw = {"default": 50, "minimum": 1, "maximum": 500}
    assert params.parse_int("limit", None, **kw) == 50
    assert params.parse_int("limit", "500", **kw) == 500
    for bad in ("0", "501", "-1", "ten", "1.5"):
        with pytest.raises(InvalidParameter) as exc:
            params.parse_int("limit", bad, **kw)
        assert problem(exc) == "limit"


def test_choices() -> None:
    assert params.parse_choice("status", "error", params.STATUSES) == "error"
    assert params.parse_choice("status", None, params.STATUSES) is None
    with pytest.raises(InvalidParameter) as exc:
        params.parse_choice("status", "ERROR", params.STATUSES)
    assert problem(exc) == "status"
    assert "ok, error, unset" in exc.value.message


def test_event_id_must_be_a_uuid() -> None:
    value = uuid.uuid4()
    assert params.parse_event_id(str(value)) == value
    with pytest.raises(InvalidParameter) as exc:
        params.parse_event_id("'; DROP TABLE events; --")
    assert problem(exc) == "event_id"


def test_model_length_is_capped() -> None:
    assert params.parse_model("gpt-4o") == "gpt-4o"
    assert params.parse_model("") is None
    with pytest.raises(InvalidParameter):
        params.parse_model("x" * 1000)


# -- events list ---------------------------------------------------------------------------------


def test_cursor_round_trips_to_the_millisecond() -> None:
    event_id = uuid.uuid4()
    token = params.encode_cursor(NOW, event_id)
    assert set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )  # URL-safe as is
    cursor = params.decode_cursor(token)
    assert cursor == params.Cursor(1741610096789, event_id)
    assert params.EARLIEST + timedelta(milliseconds=cursor.timestamp_ms) == NOW


def test_cursor_keeps_its_zone_straight() -> None:
    event_id = uuid.uuid4()
    local = NOW.astimezone(timezone(timedelta(hours=-7)))
    assert params.encode_cursor(local, event_id) == params.encode_cursor(NOW, event_id)


@pytest.mark.parametrize("raw", ["garbage!", "bm90LWEtY3Vyc29y", "MTIzOm5vdC1hLXV1aWQ"])
def test_bad_cursor_is_422(raw: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        params.decode_cursor(raw)
    assert problem(exc) == "cursor"


def test_event_query_defaults_cover_the_retention_period() -> None:
    q = params.parse_event_query(now=NOW, retention=timedelta(days=90))
    assert q.limit == params.DEFAULT_LIMIT
    assert q.offset == 0
    assert q.cursor is None
    assert q.range.end == NOW + params.CLOCK_SLACK
    assert q.range.start == q.range.end - timedelta(days=90)
    assert (q.type, q.model, q.status) == (None, None, None)


def test_event_query_filters() -> None:
    q = params.parse_event_query(
        now=NOW,
        retention=timedelta(days=90),
        event_type="llm_call",
        model="gpt-4o",
        status="error",
        limit="10",
        offset="20",
    )
    assert (q.type, q.model, q.status, q.limit, q.offset) == ("llm_call", "gpt-4o", "error", 10, 20)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": str(params.MAX_OFFSET + 1)}, "offset"),
        ({"event_type": "metric"}, "type"),
        ({"status": "failed"}, "status"),
        ({"from_raw": "2025-03-10"}, "from"),
        ({"cursor": params.encode_cursor(NOW, uuid.uuid4()), "offset": "5"}, "cursor"),
    ],
)
def test_event_query_rejects(kwargs: dict[str, str], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        params.parse_event_query(now=NOW, retention=timedelta(days=90), **kwargs)  # type: ignore[arg-type]
    assert problem(exc) == parameter


# -- time series ---------------------------------------------------------------------------------


def test_series_defaults() -> None:
    q = params.parse_series_query(now=NOW, metric="requests")
    assert (q.range.start, q.range.end) == (NOW - DAY, NOW)
    assert q.interval == "hour"
    assert not q.group_by_model
    assert q.top == params.DEFAULT_TOP_MODELS


@pytest.mark.parametrize(
    ("span", "interval"),
    [
        (timedelta(hours=1), "minute"),
        (timedelta(hours=6), "minute"),
        (DAY, "hour"),
        (timedelta(days=30), "day"),
    ],
)
def test_series_interval_is_chosen_from_the_span(span: timedelta, interval: str) -> None:
    q = params.parse_series_query(now=NOW, metric="cost", from_raw=(NOW - span).isoformat())
    assert q.interval == interval


def test_series_point_cap() -> None:
    ok = params.parse_series_query(
        now=NOW,
        metric="latency",
        interval="minute",
        from_raw="2025-03-10T00:00:00Z",
        to_raw="2025-03-11T00:00:00Z",
    )
    assert len(params.bucket_starts(ok.range, ok.interval)) == 1440
    with pytest.raises(InvalidParameter) as exc:
        params.parse_series_query(
            now=NOW,
            metric="latency",
            interval="minute",
            from_raw="2025-03-08T00:00:00Z",
            to_raw="2025-03-10T00:00:00Z",
        )
    assert problem(exc) == "interval"
    with pytest.raises(InvalidParameter):  # 90 days of hours is 2160 points
        params.parse_series_query(
            now=NOW, metric="requests", interval="hour", from_raw=(NOW - 90 * DAY).isoformat()
        )


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"metric": None}, "metric"),
        ({"metric": "p99"}, "metric"),
        ({"metric": "requests", "interval": "week"}, "interval"),
        ({"metric": "requests", "group_by": "provider"}, "groupBy"),
        ({"metric": "requests", "group_by": "model", "top": "21"}, "top"),
        ({"metric": "requests", "to_raw": "soon"}, "to"),
    ],
)
def test_series_rejects(kwargs: dict[str, str | None], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        params.parse_series_query(now=NOW, **kwargs)  # type: ignore[arg-type]
    assert problem(exc) == parameter


def test_buckets_cover_partial_ends_in_utc() -> None:
    r = params.TimeRange(datetime(2025, 3, 10, 10, 30, tzinfo=UTC), datetime(2025, 3, 10, 12, 15, tzinfo=UTC))
    assert params.bucket_starts(r, "hour") == [datetime(2025, 3, 10, h, tzinfo=UTC) for h in (10, 11, 12)]
    assert len(params.bucket_starts(r, "minute")) == 105
    assert params.bucket_starts(r, "day") == [datetime(2025, 3, 10, tzinfo=UTC)]
    r = params.TimeRange(datetime(2025, 3, 10, 10, 0, tzinfo=UTC), datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    assert params.bucket_starts(r, "hour") == [datetime(2025, 3, 10, h, tzinfo=UTC) for h in (10, 11)]


# -- the principal -------------------------------------------------------------------------------


def test_principal_with_one_project_implies_it() -> None:
    p = Principal(frozenset({"a"}), subject="key:k")
    assert p.require(None) == "a"
    assert p.require("") == "a"
    assert p.require("a") == "a"
    with pytest.raises(Forbidden):
        p.require("b")


def test_principal_with_several_projects_needs_one_named() -> None:
    p = Principal(frozenset({"a", "b"}), subject="user:u")
    assert p.require("b") == "b"
    with pytest.raises(InvalidParameter) as exc:
        p.require(None)
    assert problem(exc) == "project_id"
    with pytest.raises(Forbidden):
        p.require("c")


def test_key_from_either_header() -> None:
    assert extract_key({"x-api-key": "sk_live_x"}) == "sk_live_x"
    assert extract_key({"authorization": "Bearer sk_live_y"}) == "sk_live_y"
    assert extract_key({"authorization": "Basic abc"}) is None
    assert extract_key({}) is None
