"""Alert rules (management API) and alert history (read API).

Who may do what: members and the project's API keys list rules (channel URLs masked: they hold
secrets) and read the history; members who are signed-in users create, edit, enable/disable, delete
and test rules (like keys, rules are a project's day-to-day operation; owners additionally manage
membership). A change reaches the stream workers within LYNEX_ALERTS__RULES_RELOAD_S.

`POST .../rules/{id}/test` sends a test message to the rule's channels now (one attempt each) and
answers with each channel's outcome.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.exc import SQLAlchemyError

from contracts.alerts import AlertNotice, RuleKind
from core.control.rules import (
    Channels,
    Cooldown,
    Label,
    MinRequests,
    Rule,
    RuleInvalid,
    RuleName,
    RuleSpec,
    RuleStore,
    Threshold,
    WindowMinutes,
)
from core.crypto import mask_url
from core.egress import blocked_target
from core.notify import Delivery, deliver, is_channel_url
from query import params
from query.auth import Principal, QueryAuth
from query.bodies import decode_body, documented_body
from query.errors import InvalidParameter, NotFound, control_plane_failure, error_responses
from query.repository.alerts import AlertHistory, AlertRepository

HISTORY_DEFAULT_SPAN = timedelta(days=7)
HISTORY_MAX_LIMIT = 1000
RulePath = Annotated[str, PathParameter(description="The rule's id.")]
ProjectPath = Annotated[str, PathParameter(description="The project's id.")]
_ERRORS = error_responses(401, 403, 404, 422, 503)


class RulePatch(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """Fields to change; `channels` replaces the whole list (URLs are never read back in clear)."""

    name: RuleName | msgspec.UnsetType = msgspec.UNSET
    kind: RuleKind | msgspec.UnsetType = msgspec.UNSET
    threshold: Threshold | msgspec.UnsetType = msgspec.UNSET
    window_minutes: WindowMinutes | msgspec.UnsetType = msgspec.UNSET
    min_requests: MinRequests | msgspec.UnsetType = msgspec.UNSET
    error_type: Label | msgspec.UnsetType = msgspec.UNSET
    model: Label | msgspec.UnsetType = msgspec.UNSET
    cooldown_s: Cooldown | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    channels: Channels | msgspec.UnsetType = msgspec.UNSET


class RuleOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    project_id: str
    name: str
    kind: str
    threshold: float
    window_minutes: int
    min_requests: int
    error_type: str
    model: str
    cooldown_s: int
    enabled: bool
    # Masked (`json://127.0.0.1:8080/***`); true `channelsUnreadable` means: enter them again.
    channels: list[str]
    channels_unreadable: bool
    created_at: datetime
    updated_at: datetime


class RuleList(msgspec.Struct, frozen=True):
    rules: list[RuleOut]


class TestResult(msgspec.Struct, frozen=True):
    deliveries: list[Delivery]


def _rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        project_id=rule.project_id,
        name=rule.name,
        kind=rule.kind,
        threshold=rule.threshold,
        window_minutes=rule.window_minutes,
        min_requests=rule.min_requests,
        error_type=rule.error_type,
        model=rule.model,
        cooldown_s=rule.cooldown_s,
        enabled=rule.enabled,
        channels=[mask_url(url) for url in rule.channels],
        channels_unreadable=rule.channels_unreadable,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


async def _check_channels(channels: list[str], *, allow_private: bool) -> None:
    for i, url in enumerate(channels):
        if not is_channel_url(url):
            raise InvalidParameter(f"$.channels[{i}]", "not a channel URL Apprise understands")
        refused = await asyncio.to_thread(blocked_target, url, allow_private=allow_private)
        if refused:
            raise InvalidParameter(f"$.channels[{i}]", f"not an allowed target: {refused}")


async def _guarded(coro: Any) -> Any:
    try:
        return await coro
    except RuleInvalid as exc:
        raise InvalidParameter(exc.field, str(exc).partition(": ")[2]) from exc
    except msgspec.ValidationError as exc:
        raise InvalidParameter("body", str(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise control_plane_failure(exc) from exc


def build_alert_routes(
    auth: QueryAuth,
    store: RuleStore,
    history: AlertRepository,
    *,
    clock: Callable[[], datetime],
    test_timeout_s: float,
    allow_private_channels: bool,
) -> list[object]:
    deps = {"principal": Provide(auth.principal)}

    async def existing(project_id: str, rule_id: str) -> Rule:
        rule = await _guarded(store.get(project_id, rule_id))
        if rule is None:
            raise NotFound("no such rule in this project")
        return rule  # type: ignore[no-any-return]

    @get(
        "/api/v1/projects/{project_id:str}/rules",
        tags=["alerts"],
        summary="Alert rules",
        dependencies=deps,
        responses=_ERRORS,
    )
    async def list_rules(principal: NamedDependency[Principal], project_id: ProjectPath) -> RuleList:
        principal.require(project_id)
        return RuleList([_rule_out(r) for r in await _guarded(store.for_project(project_id))])

    @get(
        "/api/v1/projects/{project_id:str}/rules/{rule_id:str}",
        tags=["alerts"],
        summary="One alert rule",
        dependencies=deps,
        responses=_ERRORS,
    )
    async def get_rule(
        principal: NamedDependency[Principal], project_id: ProjectPath, rule_id: RulePath
    ) -> RuleOut:
        principal.require(project_id)
        return _rule_out(await existing(project_id, rule_id))

    @post(
        "/api/v1/projects/{project_id:str}/rules",
        status_code=201,
        tags=["alerts"],
        summary="Create an alert rule (members)",
        dependencies=deps,
        responses=_ERRORS,
        operation_class=documented_body(RuleSpec),
    )
    async def create_rule(
        principal: NamedDependency[Principal], project_id: ProjectPath, request: Request[Any, Any, Any]
    ) -> RuleOut:
        principal.require_user()
        principal.require(project_id)
        spec: RuleSpec = await decode_body(request, RuleSpec)
        await _check_channels(spec.channels, allow_private=allow_private_channels)
        return _rule_out(await _guarded(store.create(project_id, spec)))

    @patch(
        "/api/v1/projects/{project_id:str}/rules/{rule_id:str}",
        tags=["alerts"],
        summary="Change an alert rule, e.g. {enabled: false} (members)",
        dependencies=deps,
        responses=_ERRORS,
        operation_class=documented_body(RulePatch),
    )
    async def update_rule(
        principal: NamedDependency[Principal],
        project_id: ProjectPath,
        rule_id: RulePath,
        request: Request[Any, Any, Any],
    ) -> RuleOut:
        principal.require_user()
        principal.require(project_id)
        body: RulePatch = await decode_body(request, RulePatch)
        changes = {
            f: getattr(body, f) for f in RulePatch.__struct_fields__ if getattr(body, f) is not msgspec.UNSET
        }
        if "channels" in changes:
            await _check_channels(changes["channels"], allow_private=allow_private_channels)
        rule = await _guarded(store.update(project_id, rule_id, changes))
        if rule is None:
            raise NotFound("no such rule in this project")
        return _rule_out(rule)

    @delete(
        "/api/v1/projects/{project_id:str}/rules/{rule_id:str}",
        status_code=204,
        tags=["alerts"],
        summary="Delete an alert rule (members)",
        dependencies=deps,
        responses=_ERRORS,
    )
    async def delete_rule(
        principal: NamedDependency[Principal], project_id: ProjectPath, rule_id: RulePath
    ) -> None:
        principal.require_user()
        principal.require(project_id)
        if not await _guarded(store.delete(project_id, rule_id)):
            raise NotFound("no such rule in this project")

    @post(
        "/api/v1/projects/{project_id:str}/rules/{rule_id:str}/test",
        status_code=200,
        tags=["alerts"],
        summary="Send a test notification to the rule's channels now; each channel's outcome",
        dependencies=deps,
        responses=_ERRORS,
    )
    async def test_rule(
        principal: NamedDependency[Principal], project_id: ProjectPath, rule_id: RulePath
    ) -> TestResult:
        principal.require_user()
        principal.require(project_id)
        rule = await existing(project_id, rule_id)
        notice = AlertNotice(
            alert_id=f"test-{uuid.uuid4()}",
            project_id=project_id,
            rule_id=rule.id,
            rule_name=rule.name,
            kind=rule.kind,
            state="fired",
            at=time.time(),
            value=rule.threshold,
            threshold=rule.threshold,
            window_minutes=rule.window_minutes,
            model=rule.model,
            error_type=rule.error_type,
        )
        outcomes = await deliver(
            rule.channels,
            notice,
            attempts=1,
            backoff_s=0,
            timeout_s=test_timeout_s,
            allow_private=allow_private_channels,
            test=True,
        )
        return TestResult(outcomes)

    @get(
        "/api/v1/alerts/history",
        tags=["alerts"],
        summary="Alert notifications (fired, resolved), newest first, with each channel's outcome",
        dependencies=deps,
        responses=_ERRORS,
    )
    async def alert_history(
        principal: NamedDependency[Principal],
        *,
        project_id: Annotated[
            str | None,
            QueryParameter(name="project_id", description="Optional when the credential reads one project."),
        ] = None,
        from_: Annotated[
            str | None, QueryParameter(name="from", description="Range start (inclusive), ISO 8601.")
        ] = None,
        to: Annotated[str | None, QueryParameter(description="Range end (exclusive), ISO 8601.")] = None,
        rule_id: Annotated[str | None, QueryParameter(name="rule_id", description="Only this rule.")] = None,
        limit: Annotated[
            str | None, QueryParameter(description=f"At most this many, 1-{HISTORY_MAX_LIMIT} (default 100).")
        ] = None,
    ) -> AlertHistory:
        project = principal.require(project_id)
        span = params.parse_range(
            from_, to, now=clock(), default_span=HISTORY_DEFAULT_SPAN, open_end=timedelta(minutes=1)
        )
        count = params.parse_int("limit", limit, default=100, minimum=1, maximum=HISTORY_MAX_LIMIT)
        return await history.history(project, span.start, span.end, rule_id, count)

    return [list_rules, get_rule, create_rule, update_rule, delete_rule, test_rule, alert_history]
