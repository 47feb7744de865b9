"""The management API: sign-up, log-in, projects, members and API keys (control plane, not ClickHouse).

Who may do what: anyone may sign up and log in; a signed-in user sees the projects they belong to;
members list and create keys; owners also rename and delete the project, manage members and revoke
keys. An API key may list its own project's keys and nothing more.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter
from sqlalchemy.exc import SQLAlchemyError

from core.control.accounts import Accounts, EmailTaken, LastOwner
from core.control.passwords import WeakPassword
from core.control.store import ApiKey, ControlPlane
from query.auth import Principal, QueryAuth
from query.bodies import decode_body, documented_body
from query.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
    Unauthorized,
    control_plane_failure,
    error_responses,
)
from query.sessions import COOKIE, LoginThrottle, cleared_cookie, session_cookie

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Credentials(msgspec.Struct, frozen=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class NameBody(msgspec.Struct, frozen=True):
    name: Name


class MemberBody(msgspec.Struct, frozen=True):
    email: str
    role: Literal["owner", "member"] = "member"


class _Out(msgspec.Struct, rename="camel", frozen=True):
    pass


class UserOut(_Out, frozen=True):
    id: str
    email: str


class MemberOut(_Out, frozen=True):
    id: str
    email: str
    role: str
    since: datetime


class MemberList(_Out, frozen=True):
    members: list[MemberOut]


class ProjectOut(_Out, frozen=True):
    id: str
    name: str
    role: str
    created_at: datetime


class Me(_Out, frozen=True):
    user: UserOut
    projects: list[ProjectOut]


class UserEnvelope(_Out, frozen=True):
    user: UserOut


class ProjectList(_Out, frozen=True):
    projects: list[ProjectOut]


class KeyOut(_Out, frozen=True):
    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    events_accepted: int


class KeyList(_Out, frozen=True):
    keys: list[KeyOut]


class CreatedKey(_Out, frozen=True):
    key: KeyOut
    # Shown here once; only a hash is stored.
    secret: str


# Every management route can meet these (the control plane down is a 503 anywhere).
_ERRORS = error_responses(401, 403, 404, 409, 422, 503)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored is UTC, and every time sent has a zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=_utc(key.created_at),
        revoked_at=key.revoked_at and _utc(key.revoked_at),
        last_used_at=key.last_used_at and _utc(key.last_used_at),
        events_accepted=key.events_accepted,
    )


def build_management_routes(
    auth: QueryAuth,
    accounts: Accounts,
    control: ControlPlane,
    *,
    throttle: LoginThrottle,
    session_ttl_s: int,
    secure_cookies: bool,
) -> list[object]:
    return [
        *_auth_routes(auth, accounts, throttle, session_ttl_s, secure_cookies),
        *_project_routes(auth, accounts, control),
        *_member_routes(auth, accounts),
    ]


async def _guarded(coro: Any) -> Any:
    try:
        return await coro
    except LastOwner as exc:
        raise Conflict(str(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise control_plane_failure(exc) from exc


def _auth_routes(
    auth: QueryAuth, accounts: Accounts, throttle: LoginThrottle, session_ttl_s: int, secure_cookies: bool
) -> list[object]:
    principal = {"principal": Provide(auth.principal)}

    def signed_in(user: UserOut, token: str, status: int) -> Response[UserEnvelope]:
        return Response(
            UserEnvelope(user=user),
            status_code=status,
            cookies=[session_cookie(token, session_ttl_s, secure_cookies)],
        )

    @post(
        "/api/v1/auth/signup",
        status_code=201,
        tags=["auth"],
        summary="Create an account and sign in",
        responses=error_responses(409, 422, 503),
        operation_class=documented_body(Credentials),
    )
    async def sign_up(request: Request[Any, Any, Any]) -> Response[UserEnvelope]:
        creds: Credentials = await decode_body(request, Credentials)
        if not EMAIL_RE.match(creds.email.strip()):
            raise InvalidParameter("email", "not an email address")
        try:
            user = await _guarded(accounts.sign_up(creds.email, creds.password))
        except WeakPassword as exc:
            raise InvalidParameter("password", str(exc)) from exc
        except EmailTaken as exc:
            raise Conflict(str(exc)) from exc
        token = await _guarded(accounts.create_session(user.id))
        return signed_in(UserOut(id=user.id, email=user.email), token, 201)

    @post(
        "/api/v1/auth/login",
        status_code=200,
        tags=["auth"],
        summary="Sign in (sets the session cookie)",
        responses=error_responses(401, 422, 429, 503),
        operation_class=documented_body(Credentials),
    )
    async def log_in(request: Request[Any, Any, Any]) -> Response[UserEnvelope]:
        creds: Credentials = await decode_body(request, Credentials)
        address = request.client.host if request.client else "unknown"
        throttle.check(creds.email, address)
        user = await _guarded(accounts.authenticate(creds.email, creds.password))
        if user is None:
            throttle.failed(creds.email, address)
            raise Unauthorized("wrong email or password")
        throttle.succeeded(creds.email)
        token = await _guarded(accounts.create_session(user.id))
        return signed_in(UserOut(id=user.id, email=user.email), token, 200)

    @post(
        "/api/v1/auth/logout",
        status_code=204,
        tags=["auth"],
        summary="End the session",
        responses=error_responses(503),
        response_cookies=[cleared_cookie(secure_cookies)],
    )
    async def log_out(request: Request[Any, Any, Any]) -> None:
        token = request.cookies.get(COOKIE)
        if token:
            await _guarded(accounts.end_session(token))

    @get(
        "/api/v1/auth/me",
        tags=["auth"],
        summary="The signed-in user and their projects",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def me(principal: NamedDependency[Principal]) -> Me:
        user_id = principal.require_user()
        memberships = await _guarded(accounts.memberships(user_id))
        return Me(
            user=UserOut(id=user_id, email=principal.email or ""),
            projects=[
                ProjectOut(m.project.id, m.project.name, m.role, m.project.created_at) for m in memberships
            ],
        )

    return [sign_up, log_in, log_out, me]


def _project_routes(auth: QueryAuth, accounts: Accounts, control: ControlPlane) -> list[object]:
    principal = {"principal": Provide(auth.principal)}

    @get(
        "/api/v1/projects",
        tags=["projects"],
        summary="Projects the caller can see",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def list_projects(principal: NamedDependency[Principal]) -> ProjectList:
        if principal.user_id is None:  # an API key: its own project
            project_id = principal.require(None)
            project = await _guarded(control.get_project(project_id))
            if project is None:
                raise NotFound("no such project")
            return ProjectList([ProjectOut(project.id, project.name, "key", _utc(project.created_at))])
        memberships = await _guarded(accounts.memberships(principal.user_id))
        return ProjectList(
            [ProjectOut(m.project.id, m.project.name, m.role, m.project.created_at) for m in memberships]
        )

    @post(
        "/api/v1/projects",
        status_code=201,
        tags=["projects"],
        summary="Create a project",
        dependencies=principal,
        responses=_ERRORS,
        operation_class=documented_body(NameBody),
    )
    async def create_project(
        principal: NamedDependency[Principal], request: Request[Any, Any, Any]
    ) -> ProjectOut:
        principal.require_user()
        body: NameBody = await decode_body(request, NameBody)
        user = await _guarded(accounts.session_user(request.cookies.get(COOKIE, "")))
        if user is None:
            raise Unauthorized("session ended")
        project = await _guarded(accounts.create_project(user, body.name))
        return ProjectOut(project.id, project.name, "owner", _utc(project.created_at))

    @patch(
        "/api/v1/projects/{project_id:str}",
        tags=["projects"],
        summary="Rename (owner)",
        dependencies=principal,
        responses=_ERRORS,
        operation_class=documented_body(NameBody),
    )
    async def rename_project(
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter()],
        request: Request[Any, Any, Any],
    ) -> ProjectOut:
        principal.require_owner(project_id)
        body: NameBody = await decode_body(request, NameBody)
        await _guarded(accounts.rename_project(project_id, body.name))
        project = await _guarded(control.get_project(project_id))
        if project is None:  # deleted by another request meanwhile
            raise NotFound("no such project")
        return ProjectOut(project.id, project.name, "owner", _utc(project.created_at))

    @delete(
        "/api/v1/projects/{project_id:str}",
        status_code=204,
        tags=["projects"],
        summary="Delete (owner): its keys stop working within the key-cache TTL",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def delete_project(
        principal: NamedDependency[Principal], project_id: Annotated[str, PathParameter()]
    ) -> None:
        principal.require_owner(project_id)
        await _guarded(accounts.delete_project(project_id))

    @get(
        "/api/v1/projects/{project_id:str}/keys",
        tags=["keys"],
        summary="API keys with usage",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def list_keys(
        principal: NamedDependency[Principal], project_id: Annotated[str, PathParameter()]
    ) -> KeyList:
        principal.require(project_id)
        return KeyList([_key_out(k) for k in await _guarded(control.list_keys(project_id))])

    @post(
        "/api/v1/projects/{project_id:str}/keys",
        status_code=201,
        tags=["keys"],
        summary="Create a key; the secret is in this response only",
        dependencies=principal,
        responses=_ERRORS,
        operation_class=documented_body(NameBody),
    )
    async def create_key(
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter()],
        request: Request[Any, Any, Any],
    ) -> CreatedKey:
        principal.require_user()
        principal.require(project_id)
        body: NameBody = await decode_body(request, NameBody)
        key, secret = await _guarded(control.create_key(project_id, body.name))
        return CreatedKey(key=_key_out(key), secret=secret)

    @delete(
        "/api/v1/projects/{project_id:str}/keys/{key_id:str}",
        status_code=204,
        tags=["keys"],
        summary="Revoke a key (owner): refused by the gateway within the key-cache TTL",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def revoke_key(
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter()],
        key_id: Annotated[str, PathParameter()],
    ) -> None:
        principal.require_owner(project_id)
        keys = {k.id for k in await _guarded(control.list_keys(project_id))}
        if key_id not in keys:
            raise NotFound("no such key in this project")
        await _guarded(control.revoke_key(key_id))

    return [
        list_projects,
        create_project,
        rename_project,
        delete_project,
        list_keys,
        create_key,
        revoke_key,
    ]


def _member_routes(auth: QueryAuth, accounts: Accounts) -> list[object]:
    principal = {"principal": Provide(auth.principal)}

    @get(
        "/api/v1/projects/{project_id:str}/members",
        tags=["projects"],
        summary="Who the project is shared with (any member)",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def list_members(
        principal: NamedDependency[Principal], project_id: Annotated[str, PathParameter()]
    ) -> MemberList:
        principal.require_user()
        principal.require(project_id)
        members = await _guarded(accounts.members(project_id))
        return MemberList([MemberOut(m.user.id, m.user.email, m.role, m.since) for m in members])

    @post(
        "/api/v1/projects/{project_id:str}/members",
        status_code=201,
        tags=["projects"],
        summary="Share the project with an existing user (owner)",
        dependencies=principal,
        responses=_ERRORS,
        operation_class=documented_body(MemberBody),
    )
    async def add_member(
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter()],
        request: Request[Any, Any, Any],
    ) -> UserOut:
        principal.require_owner(project_id)
        body: MemberBody = await decode_body(request, MemberBody)
        user = await _guarded(accounts.add_member(project_id, body.email, body.role))
        if user is None:
            raise NotFound("no account with this email")
        return UserOut(id=user.id, email=user.email)

    @delete(
        "/api/v1/projects/{project_id:str}/members/{user_id:str}",
        status_code=204,
        tags=["projects"],
        summary="Remove a member (owner)",
        dependencies=principal,
        responses=_ERRORS,
    )
    async def remove_member(
        principal: NamedDependency[Principal],
        project_id: Annotated[str, PathParameter()],
        user_id: Annotated[str, PathParameter()],
    ) -> None:
        principal.require_owner(project_id)
        if not await _guarded(accounts.remove_member(project_id, user_id)):
            raise NotFound("no such member")

    return [list_members, add_member, remove_member]
