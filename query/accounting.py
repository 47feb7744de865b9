"""`GET /api/v1/projects/{project_id}/accounting`: did every accepted event arrive, and if not, why.

Per project over a time range, by the gateway's receive time in whole UTC minutes (the buckets the
accepted counts are kept in): events accepted (control plane, `usage_accepted`), stored (ClickHouse
`events`), dead-lettered on the way to storage (ClickHouse `dead_letters`), and what is left:
`missing = accepted - stored - deadLettered`. Missing events are either still on their way (see the
stages' lag and `freshness`) or lost. Readable by the project's API keys and its members.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.exc import SQLAlchemyError

from core.control.store import ControlPlane
from query import params
from query.auth import Principal, QueryAuth
from query.consumer_lag import ConsumerLag, StageLag
from query.errors import ErrorBody, Unavailable
from query.repository.accounting import AccountingRepository, DeadLetterReason

DEFAULT_SPAN = timedelta(hours=24)
MINUTE = timedelta(minutes=1)
_TIME = "ISO 8601 with a zone, e.g. 2025-01-31T12:00:00Z."


class Freshness(msgspec.Struct, frozen=True, rename="camel"):
    # Receive time of the project's newest stored event (any time, not only in the range); null if none.
    newest_stored_at: datetime | None
    # Seconds from that to now; null if nothing is stored.
    age_seconds: float | None


class Accounting(msgspec.Struct, frozen=True, rename="camel"):
    project_id: str
    # The range counted: `from` rounded down and `to` rounded up to whole UTC minutes.
    start: datetime
    end: datetime
    accepted: int
    stored: int
    # Events in records dead-lettered on the way to storage (alert stages excluded).
    dead_lettered: int
    dead_lettered_records: int
    # Dead-lettered records that did not decode: they hold events that `deadLettered` cannot count.
    undecoded_records: int
    # accepted - stored - deadLettered: still on the way (see lag) or lost. Accepted counts reach the
    # control plane every few seconds, so for the last seconds it can briefly be negative.
    missing: int
    freshness: Freshness
    lag: list[StageLag]
    # Why records were dead-lettered, most events first (at most 20).
    reasons: list[DeadLetterReason]
    as_of: datetime


def whole_minutes(window: params.TimeRange) -> params.TimeRange:
    start = params.floor_time(window.start, "minute")
    end = params.floor_time(window.end, "minute")
    return params.TimeRange(start, end if end == window.end else end + MINUTE)


def build_accounting_routes(
    auth: QueryAuth,
    control: ControlPlane,
    repository: AccountingRepository,
    lag: ConsumerLag,
    clock: Callable[[], datetime],
) -> list[object]:
    @get(
        "/api/v1/projects/{project_id:str}/accounting",
        summary="Accepted, stored and dead-lettered events, freshness and lag",
        description=(
            "Per project over `[from, to)` (default: the last 24 hours), counted by receive time in whole "
            "UTC minutes: events the gateway accepted, events stored, events dead-lettered on the way to "
            "storage with the reasons, and `missing` = accepted - stored - deadLettered. `freshness` is the "
            "age of the newest stored event; `lag` the records each streams stage has not processed yet, "
            "in all partitions (`records`) and in the partition this project's records go to "
            "(`partitionRecords`, shared with the projects hashed to it): an upper bound on what is still "
            "on its way; null with `error` when Kafka cannot be asked."
        ),
        tags=["accounting"],
        dependencies={"principal": Provide(auth.principal)},
        security=[{"apiKey": []}],
        responses={
            401: ResponseSpec(ErrorBody, description="No credentials."),
            403: ResponseSpec(ErrorBody, description="A key or user that may not read this project."),
            422: ResponseSpec(ErrorBody, description="A bad parameter; `parameter` names it."),
            503: ResponseSpec(ErrorBody, description="ClickHouse or the control plane unavailable."),
        },
    )
    async def accounting(
        *,
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter(description="The project's id.")],
        from_: Annotated[
            str | None, QueryParameter(name="from", description=f"Range start (inclusive). {_TIME}")
        ] = None,
        to: Annotated[str | None, QueryParameter(description=f"Range end (exclusive). {_TIME}")] = None,
    ) -> Accounting:
        project = principal.require(project_id)
        now = clock()
        window = whole_minutes(params.parse_range(from_, to, now=now, default_span=DEFAULT_SPAN))
        try:
            accepted = await control.accepted_events(project, window.start, window.end)
        except (SQLAlchemyError, OSError) as exc:
            raise Unavailable("control plane unavailable", retry_after=2) from exc
        stored = await repository.stored(project, window)
        dead = await repository.dead_lettered(project, window)
        age = max((now - stored.newest).total_seconds(), 0.0) if stored.newest else None
        return Accounting(
            project_id=project,
            start=window.start,
            end=window.end,
            accepted=accepted,
            stored=stored.in_range,
            dead_lettered=dead.events,
            dead_lettered_records=dead.records,
            undecoded_records=dead.undecoded,
            missing=accepted - stored.in_range - dead.events,
            freshness=Freshness(newest_stored_at=stored.newest, age_seconds=age),
            lag=await lag.read(project),
            reasons=dead.reasons,
            as_of=now,
        )

    return [accounting]
