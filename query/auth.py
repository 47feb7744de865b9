"""Who is asking, and which projects they may read.

A `Principal` is the set of project ids a caller may read. Authenticators turn one kind of credential
into a principal; `QueryAuth` tries them in order. Today there is one (the project's API key); a
cookie session for dashboard users (several projects each) is one more `Authenticator` added in
`role.py` — endpoints only ever call `principal.require(project_id)` and never change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from litestar.connection import ASGIConnection

from core.control.key_cache import ControlPlaneUnavailable, KeyCache
from core.control.keys import key_from_headers
from query.errors import Forbidden, InvalidParameter, Unauthorized, Unavailable


@dataclass(frozen=True)
class Principal:
    """The projects a caller may read; `subject` names the credential for logs (never a secret).

    A signed-in user also has `user_id` and a role per project; an API key has neither.
    """

    project_ids: frozenset[str]
    subject: str
    user_id: str | None = None
    email: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)

    def require_user(self) -> str:
        """The signed-in user's id; 403 for an API key (keys cannot manage projects)."""
        if self.user_id is None:
            raise Forbidden("this needs a signed-in user; an API key cannot manage projects or keys")
        return self.user_id

    def require_owner(self, project_id: str) -> str:
        self.require_user()
        self.require(project_id)
        if self.roles.get(project_id) != "owner":
            raise Forbidden("only the project's owner may do this")
        return project_id

    def require(self, project_id: str | None) -> str:
        """The project to read: the one asked for if allowed (else 403), or the only one there is."""
        if project_id:
            if project_id not in self.project_ids:
                raise Forbidden(f"this credential may not read project {project_id!r}")
            return project_id
        if len(self.project_ids) == 1:
            return next(iter(self.project_ids))
        raise InvalidParameter("project_id", "required: this credential can read several projects")


class Authenticator(Protocol):
    async def authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        """The caller's principal; None when this kind of credential is absent. Raises if it is bad."""


class ApiKeyAuthenticator:
    """A project API key reads its own project (until user sessions exist, dashboards use one)."""

    def __init__(self, cache: KeyCache) -> None:
        self.cache = cache

    async def authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        secret = key_from_headers(connection.headers)
        if secret is None:
            return None
        try:
            identity = await self.cache.lookup(secret)
        except ControlPlaneUnavailable as exc:
            raise Unavailable("control plane unavailable", retry_after=2) from exc
        if identity is None:
            raise Forbidden("unknown, malformed or revoked API key")
        return Principal(frozenset({identity.project_id}), subject=f"key:{identity.key_id}")


class QueryAuth:
    """The first authenticator that recognises a credential decides; none at all is 401."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = list(authenticators)

    async def principal(self, request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
        for authenticator in self.authenticators:
            principal = await authenticator.authenticate(request)
            if principal is not None:
                return principal
        raise Unauthorized("missing credentials: send X-API-Key or Authorization: Bearer sk_live_...")
