"""HTTP routes of the query role: parse parameters, check the principal, call a repository.

Every handler gets `principal` by dependency injection and reads only `principal.require(project_id)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from contracts.events import EVENT_TYPES
from query import params
from query.auth import Principal, QueryAuth
from query.errors import ErrorBody, NotFound
from query.repository.events import EventRepository
from query.repository.stats import StatsRepository
from query.responses import EventDetail, EventPage, ModelBreakdown, Overview, TimeSeries

_ERRORS = {
    401: ResponseSpec(ErrorBody, description="No API key."),
    403: ResponseSpec(ErrorBody, description="Unknown or revoked key, or a project_id not the caller's."),
    422: ResponseSpec(ErrorBody, description="A bad parameter; `parameter` names it."),
    503: ResponseSpec(ErrorBody, description="ClickHouse or the control plane unavailable; see Retry-After."),
}
_TIME = "ISO 8601 with a zone, e.g. 2025-01-31T12:00:00Z."

ProjectParam = Annotated[
    str | None,
    QueryParameter(
        name="project_id",
        description="The project to read; optional when the credential can read only one (an API key).",
    ),
]
FromParam = Annotated[
    str | None, QueryParameter(name="from", description=f"Range start (inclusive). {_TIME}")
]
ToParam = Annotated[str | None, QueryParameter(name="to", description=f"Range end (exclusive). {_TIME}")]
ModelParam = Annotated[str | None, QueryParameter(description="Only this model.")]


def build_routes(
    auth: QueryAuth,
    events: EventRepository,
    stats: StatsRepository,
    retention: timedelta,
    clock: Callable[[], datetime],
) -> list[object]:
    common: dict[str, Any] = {
        "dependencies": {"principal": Provide(auth.principal)},
        "security": [{"apiKey": []}],
    }

    @get(
        "/api/v1/events",
        summary="List events, newest first",
        description=(
            "Newest first by (timestamp, eventId); no bodies (see GET /api/v1/events/{event_id}). "
            "Without `from`, everything still stored (the retention period); without `to`, up to now "
            f"(+{params.CLOCK_SLACK.seconds // 60} min for clients whose clock runs fast). Page with "
            "`cursor` (pass back `nextCursor`; cheap at any depth) or `offset` "
            f"(at most {params.MAX_OFFSET:,}), not both."
        ),
        responses=_ERRORS,
        tags=["events"],
        **common,
    )
    async def list_events(
        *,
        principal: NamedDependency[Principal],
        project_id: ProjectParam = None,
        limit: Annotated[
            str | None,
            QueryParameter(description=f"Page size, 1-{params.MAX_LIMIT} (default {params.DEFAULT_LIMIT})."),
        ] = None,
        offset: Annotated[str | None, QueryParameter(description="Rows to skip (default 0).")] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="`nextCursor` of the previous page.")
        ] = None,
        event_type: Annotated[
            str | None, QueryParameter(name="type", description="Only this event type.", enum=EVENT_TYPES)
        ] = None,
        model: ModelParam = None,
        status: Annotated[
            str | None, QueryParameter(description="Only this status.", enum=params.STATUSES)
        ] = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> EventPage:
        project = principal.require(project_id)
        query = params.parse_event_query(
            now=clock(),
            retention=retention,
            from_raw=from_,
            to_raw=to,
            limit=limit,
            offset=offset,
            cursor=cursor,
            event_type=event_type,
            model=model,
            status=status,
        )
        return await events.list_events(project, query)

    @get(
        "/api/v1/events/{event_id:str}",
        summary="One event, with its body and context",
        description="404 when the caller's project has no such event (whoever else may have it).",
        responses={**_ERRORS, 404: ResponseSpec(ErrorBody, description="No such event in this project.")},
        tags=["events"],
        **common,
    )
    async def get_event(
        *,
        principal: NamedDependency[Principal],
        event_id: Annotated[str, PathParameter(description="The event's UUID.")],
        project_id: ProjectParam = None,
    ) -> EventDetail:
        project = principal.require(project_id)
        event = await events.get_event(project, params.parse_event_id(event_id))
        if event is None:
            raise NotFound(f"no event {event_id} in this project")
        return event

    @get(
        "/api/v1/stats/overview",
        summary="Request counts, error rate, tokens and cost",
        description=(
            "`requests.today` counts LLM calls since 00:00 UTC, `last7d` / `last30d` over the last 7 / 30 "
            "days up to now. `window`, `errorRate` (errors / requests, 0 without requests), `tokens` and "
            "`costUsd` cover `[from, to)`: by default the last 24 hours. Minute resolution: a window "
            "covers every whole minute it overlaps."
        ),
        responses=_ERRORS,
        tags=["stats"],
        **common,
    )
    async def overview(
        *,
        principal: NamedDependency[Principal],
        project_id: ProjectParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> Overview:
        project = principal.require(project_id)
        now = clock()
        window = params.parse_range(from_, to, now=now, default_span=params.STATS_DEFAULT_SPAN)
        return await stats.overview(project, window, now)

    @get(
        "/api/v1/stats/timeseries",
        summary="One metric per minute, hour or day",
        description=(
            "`metric`: requests, errors, tokens (series input and output), cost (costUsd) or latency "
            "(p50, p95, p99 in ms; null where a bucket has no calls). Buckets are UTC; the range "
            "(default: the last 24 hours) may hold at most "
            f"{params.MAX_POINTS} of them. Every series has one value per timestamp, zero-filled. "
            "`groupBy=model` splits each series by model: the `top` biggest models over the range, "
            "plus one series with `other: true` for all the rest."
        ),
        responses=_ERRORS,
        tags=["stats"],
        **common,
    )
    async def timeseries(
        *,
        principal: NamedDependency[Principal],
        metric: Annotated[
            str | None, QueryParameter(description="What to count (required).", enum=params.METRICS)
        ] = None,
        interval: Annotated[
            str | None,
            QueryParameter(
                description="Bucket size; default: minute up to 6 h, hour up to 14 days, else day.",
                enum=tuple(params.INTERVALS),
            ),
        ] = None,
        project_id: ProjectParam = None,
        from_: FromParam = None,
        to: ToParam = None,
        model: ModelParam = None,
        group_by: Annotated[
            str | None, QueryParameter(name="groupBy", description="Split series by model.", enum=("model",))
        ] = None,
        top: Annotated[
            str | None,
            QueryParameter(
                description=f"With groupBy: models shown, 1-{params.MAX_TOP_MODELS} (default {params.DEFAULT_TOP_MODELS})."
            ),
        ] = None,
    ) -> TimeSeries:
        project = principal.require(project_id)
        query = params.parse_series_query(
            now=clock(),
            metric=metric,
            interval=interval,
            from_raw=from_,
            to_raw=to,
            model=model,
            group_by=group_by,
            top=top,
        )
        return await stats.timeseries(project, query)

    @get(
        "/api/v1/stats/models",
        summary="Per-model requests, errors, tokens, cost and latency",
        description=(
            "One row per model over `[from, to)` (default: the last 24 hours), most requests first: "
            "requests, errors, errorRate, tokens, costUsd and latency percentiles in ms."
        ),
        responses=_ERRORS,
        tags=["stats"],
        **common,
    )
    async def models(
        *,
        principal: NamedDependency[Principal],
        project_id: ProjectParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> ModelBreakdown:
        project = principal.require(project_id)
        window = params.parse_range(from_, to, now=clock(), default_span=params.STATS_DEFAULT_SPAN)
        return await stats.models(project, window)

    return [list_events, get_event, overview, timeseries, models]
