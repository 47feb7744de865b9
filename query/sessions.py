"""Dashboard sessions: the cookie authenticator and login throttling.

The session cookie is HttpOnly, SameSite=Lax (a cross-site form cannot post with it), and Secure
outside development. Login throttling is kept per process: with several query replicas an attacker
gets up to N x the allowed failures per window; put the replicas behind sticky routing or lower
LYNEX_AUTH__LOGIN_MAX_FAILURES if that matters.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from sqlalchemy.exc import SQLAlchemyError

from core.control.accounts import Accounts
from query.auth import Principal
from query.errors import TooManyRequests, Unavailable

COOKIE = "lynex_session"


class SessionAuthenticator:
    """A signed-in user reads the projects they are a member of."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    async def authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        token = connection.cookies.get(COOKIE)
        if not token:
            return None
        try:
            user = await self.accounts.session_user(token)
            if user is None:
                return None  # expired, revoked or tampered: as if there were no cookie (401)
            memberships = await self.accounts.memberships(user.id)
        except (SQLAlchemyError, OSError) as exc:
            raise Unavailable("control plane unavailable", retry_after=2) from exc
        return Principal(
            frozenset(m.project.id for m in memberships),
            subject=f"user:{user.id}",
            user_id=user.id,
            email=user.email,
            roles={m.project.id: m.role for m in memberships},
        )


def session_cookie(token: str, max_age_s: int, secure: bool) -> Cookie:
    return Cookie(
        key=COOKIE, value=token, max_age=max_age_s, httponly=True, secure=secure, samesite="lax", path="/"
    )


def cleared_cookie(secure: bool) -> Cookie:
    return Cookie(key=COOKIE, value="", max_age=0, httponly=True, secure=secure, samesite="lax", path="/")


class LoginThrottle:
    """At most `max_failures` failed logins per account and per client address in `window_s`.

    Memory is bounded: only failures create entries (a refused or successful attempt does not), and
    past `max_keys` the expired entries go first, then the oldest, so a flood of made-up emails can
    neither grow the process nor reset everyone's counts at once.
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is not None:
            horizon = self.clock() - self.window_s
            while failures and failures[0] <= horizon:
                failures.popleft()
        return failures

    def check(self, email: str, address: str) -> None:
        """Raise 429 while either the account or the address is over its budget."""
        for key in (f"email:{email.strip().lower()}", f"addr:{address}"):
            failures = self._recent(key)
            if failures is not None and len(failures) >= self.max_failures:
                wait = failures[0] + self.window_s - self.clock()
                raise TooManyRequests(
                    "too many failed logins; try again later", retry_after=max(1, math.ceil(wait))
                )

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        for key in (f"email:{email.strip().lower()}", f"addr:{address}"):
            failures = self._recent(key)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
        if len(self._failures) > self.max_keys:
            self._evict()

    def succeeded(self, email: str) -> None:
        self._failures.pop(f"email:{email.strip().lower()}", None)

    def _evict(self) -> None:
        for key in list(self._failures):
            if not self._recent(key):
                del self._failures[key]
        for key in list(self._failures)[: max(len(self._failures) - self.max_keys, 0)]:
            del self._failures[key]  # still over: the oldest entries first (insertion order)
