"""Reads of the per-minute rollup `events_1m` (never the raw events): overview, series, per model.

Rollup rows are partial aggregates until merged, so every read aggregates again: `sum(col)` for the
SimpleAggregateFunction columns, `quantilesTDigestMerge` for latency. A window `[from, to)` covers
the whole minutes that overlap it. `requests` counts llm_call events, `errors` those with status error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from query.params import SeriesQuery, TimeRange, bucket_starts, floor_time
from query.repository.reader import Reader, finite, utc
from query.responses import (
    ModelBreakdown,
    ModelStats,
    Overview,
    Percentiles,
    RequestCounts,
    Series,
    TimeSeries,
    TokenTotals,
    Window,
)

_RANGE = (
    "project_id = {project:String}"
    " AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime64(3, 'UTC')}"
)
_LATENCY = "quantilesTDigestMerge(0.5, 0.95, 0.99)(latency)"

OVERVIEW_SQL = """
WITH minute >= {window_start:DateTime('UTC')} AND minute < {window_end:DateTime64(3, 'UTC')} AS in_window,
     minute < {now:DateTime64(3, 'UTC')} AS until_now
SELECT
    sumIf(requests, minute >= {today:DateTime('UTC')} AND until_now),
    sumIf(requests, minute >= {d7:DateTime('UTC')} AND until_now),
    sumIf(requests, minute >= {d30:DateTime('UTC')} AND until_now),
    sumIf(requests, in_window),
    sumIf(errors, in_window),
    sumIf(input_tokens, in_window),
    sumIf(output_tokens, in_window),
    sumIf(cached_tokens, in_window),
    sumIf(cost_usd, in_window)
FROM events_1m
WHERE project_id = {project:String}
  AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime64(3, 'UTC')}"""

# Per metric: the aggregate(s) one bucket shows (one series each) and what ranks models for top N.
_METRICS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "requests": ((("requests", "sum(requests)"),), "sum(requests)"),
    "errors": ((("errors", "sum(errors)"),), "sum(errors)"),
    "tokens": (
        (("input", "sum(input_tokens)"), ("output", "sum(output_tokens)")),
        "sum(input_tokens) + sum(output_tokens)",
    ),
    "cost": ((("costUsd", "sum(cost_usd)"),), "sum(cost_usd)"),
    "latency": ((("latency", _LATENCY),), "sum(requests)"),
}
_PERCENTILE_NAMES = ("p50", "p95", "p99")
_BUCKETS = {"minute": "minute", "hour": "toStartOfHour(minute)", "day": "toStartOfDay(minute)"}
_MODEL_FILTER = " AND model = {model:String}"
# The top N models over the range, biggest first (sorted here: groupArray keeps no order).
_TOP_MODELS = (
    "WITH (SELECT arrayMap(t -> t.2, arraySort(t -> (-t.1, t.2), groupArray((rank_value, model))))"
    " FROM (SELECT model, {rank} AS rank_value FROM events_1m WHERE {where} GROUP BY model"
    " HAVING rank_value > 0 ORDER BY rank_value DESC, model LIMIT {{top:UInt32}})) AS top_models "
)

MODELS_SQL = """
SELECT model, sum(requests) AS n, sum(errors), sum(input_tokens), sum(output_tokens), sum(cached_tokens),
       sum(cost_usd), quantilesTDigestMerge(0.5, 0.95, 0.99)(latency)
FROM events_1m
WHERE project_id = {project:String}
  AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime64(3, 'UTC')}
  AND model != ''
GROUP BY model
ORDER BY n DESC, model
LIMIT 1000"""


def error_rate(requests: int, errors: int) -> float:
    return errors / requests if requests else 0.0


class StatsRepository:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def overview(self, project_id: str, window: TimeRange, now: datetime) -> Overview:
        today = floor_time(now, "day")
        d7, d30 = (
            floor_time(now - timedelta(days=7), "minute"),
            floor_time(now - timedelta(days=30), "minute"),
        )
        window_start = floor_time(window.start, "minute")
        params = {
            "project": project_id,
            "start": min(d30, window_start),
            "end": max(now, window.end),
            "now": now,
            "today": today,
            "d7": d7,
            "d30": d30,
            "window_start": window_start,
            "window_end": window.end,
        }
        [row] = await self.reader.rows("stats_overview", OVERVIEW_SQL, params)
        today_n, last7d, last30d, requests, errors, tokens_in, tokens_out, tokens_cached, cost = row
        return Overview(
            project_id=project_id,
            requests=RequestCounts(today=today_n, last7d=last7d, last30d=last30d),
            window=Window(start=window.start, end=window.end, requests=requests, errors=errors),
            error_rate=error_rate(requests, errors),
            tokens=TokenTotals(input=tokens_in, output=tokens_out, cached=tokens_cached),
            cost_usd=float(cost),
        )

    async def timeseries(self, project_id: str, query: SeriesQuery) -> TimeSeries:
        buckets = bucket_starts(query.range, query.interval)
        fields, rank = _METRICS[query.metric]
        where = _RANGE + (_MODEL_FILTER if query.model else "")
        bucket = _BUCKETS[query.interval]
        aggregates = ", ".join(expr for _, expr in fields)
        params: dict[str, Any] = {
            "project": project_id,
            "start": floor_time(query.range.start, "minute"),
            "end": query.range.end,
        }
        if query.model:
            params["model"] = query.model
        if query.group_by_model:
            params["top"] = query.top
            # rank: 1.. for the top models, 0 for the group of all the others
            head = _TOP_MODELS.format(rank=rank, where=where)
            group = "indexOf(top_models, model) AS top_rank, if(top_rank > 0, model, '') AS group_model"
            keys = "bucket, top_rank, group_model"
        else:
            head, group, keys = "", "1, ''", "bucket"
        # Only constants of this module are spliced in; every value is a parameter.
        sql = (
            f"{head}SELECT {bucket} AS bucket, {group}, {aggregates}"  # noqa: S608
            f" FROM events_1m WHERE {where} GROUP BY {keys} ORDER BY bucket"
        )
        rows = await self.reader.rows(f"stats_timeseries_{query.metric}", sql, params)
        series = _assemble(rows, buckets, [name for name, _ in fields], query.group_by_model)
        return TimeSeries(
            project_id=project_id,
            metric=query.metric,
            interval=query.interval,
            start=query.range.start,
            end=query.range.end,
            timestamps=buckets,
            series=series,
        )

    async def models(self, project_id: str, window: TimeRange) -> ModelBreakdown:
        params = {"project": project_id, "start": floor_time(window.start, "minute"), "end": window.end}
        rows = await self.reader.rows("stats_models", MODELS_SQL, params)
        return ModelBreakdown(
            project_id=project_id,
            start=window.start,
            end=window.end,
            models=[
                ModelStats(
                    model=model,
                    requests=requests,
                    errors=errors,
                    error_rate=error_rate(requests, errors),
                    tokens=TokenTotals(input=tokens_in, output=tokens_out, cached=tokens_cached),
                    cost_usd=float(cost),
                    latency_ms=Percentiles(p50=finite(q[0]), p95=finite(q[1]), p99=finite(q[2])),
                )
                for model, requests, errors, tokens_in, tokens_out, tokens_cached, cost, q in rows
            ],
        )


def _assemble(
    rows: list[tuple[Any, ...]], buckets: list[datetime], fields: list[str], grouped: bool
) -> list[Series]:
    """Rows (bucket, rank, model, *aggregates) -> one zero-filled series per field and group.

    Latency is a list of three percentiles per row and is filled with null, not zero: no calls in a
    minute means no latency, not a latency of 0 ms. Groups come in rank order, "other" (rank 0) last.
    """
    index = {bucket: i for i, bucket in enumerate(buckets)}
    latency = fields == ["latency"]
    names = list(_PERCENTILE_NAMES) if latency else fields
    blank: float | None = None if latency else 0
    groups: dict[int, str | None] = {} if grouped else {1: None}
    values: dict[tuple[int, str], list[float | None]] = {}
    for bucket, rank, model, *aggregates in rows:
        position = index.get(utc(bucket))
        if position is None:  # cannot happen: buckets cover the range the SQL reads
            continue
        groups.setdefault(rank, model or None)
        points = [finite(v) for v in aggregates[0]] if latency else aggregates
        for name, point in zip(names, points, strict=True):
            values.setdefault((rank, name), [blank] * len(buckets))[position] = point
    out = []
    for rank in sorted(groups, key=lambda r: (r == 0, r)):
        for name in names:
            series = values.get((rank, name), [blank] * len(buckets))
            if rank == 0 and not any(series):
                continue  # models outside the top N that add up to nothing
            out.append(Series(name=name, model=groups[rank], other=rank == 0, values=series))
    return out
