"""Users, sessions and project memberships.

Sessions are server-side: the cookie carries a random token, the database stores only an HMAC of
it (keyed by LYNEX_AUTH__SECRET_KEY). Chosen over signed stateless tokens because logout, password
changes and removed access must take effect at once, which a signed token cannot do without a
deny-list that is a session table anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.control import tables
from core.control.keys import new_id
from core.control.passwords import (
    DUMMY_HASH,
    WeakPassword,
    check_password,
    hash_password,
    verify_password,
)
from core.control.store import BootstrapConflict, ControlPlaneError, Project

Role = Literal["owner", "member"]


class User(msgspec.Struct, frozen=True):
    id: str
    email: str
    created_at: datetime


class Membership(msgspec.Struct, frozen=True):
    project: Project
    role: Role


class Member(msgspec.Struct, frozen=True):
    user: User
    role: Role
    since: datetime


class LastOwner(ValueError):
    """The change would leave a project without an owner."""


class EmailTaken(ValueError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite gives naive datetimes back; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Accounts:
    def __init__(self, engine: AsyncEngine, secret_key: str, session_ttl: timedelta) -> None:
        self.engine = engine
        self._secret = secret_key.encode()
        self.session_ttl = session_ttl

    def _token_hash(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    # -- users --------------------------------------------------------------------------------------

    async def sign_up(self, email: str, password: str) -> User:
        email = normalize_email(email)
        check_password(password, email)
        user = User(id=new_id("usr"), email=email, created_at=_now())
        values = msgspec.structs.asdict(user) | {"password_hash": hash_password(password)}
        try:
            async with self.engine.begin() as conn:
                await conn.execute(tables.users.insert().values(values))
        except IntegrityError as exc:
            raise EmailTaken("an account with this email already exists") from exc
        return user

    async def authenticate(self, email: str, password: str) -> User | None:
        u = tables.users
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(u).where(u.c.email == normalize_email(email)))).first()
        if row is None:
            verify_password(DUMMY_HASH, password)  # same work as a real check: no user enumeration by timing
            return None
        if not verify_password(row.password_hash, password):
            return None
        return User(id=row.id, email=row.email, created_at=_aware(row.created_at))

    async def ensure_init_owner(self, project_id: str, email: str, password: str) -> bool:
        """Make the init user (LYNEX_INIT__USER_*) an owner of the live init project, creating the
        account if the email has none; True if anything changed.

        What users did wins, as a BootstrapConflict naming it: an account that exists with another
        password is not given the project (anyone may have signed up with that email first), and an
        init user whom an owner made a plain member stays one. A refused password is a settings error.
        """
        user = await self.authenticate(email, password)
        if user is None:
            try:
                user = await self.sign_up(email, password)
            except WeakPassword as exc:
                raise ControlPlaneError(f"LYNEX_INIT__USER_PASSWORD is refused: {exc}") from exc
            except EmailTaken:
                user = await self.authenticate(email, password)  # signed up meanwhile by another process?
                if user is None:
                    owns = await self._role_by_email(email, project_id) == "owner"
                    raise BootstrapConflict(
                        "an account with LYNEX_INIT__USER_EMAIL exists with another password"
                        " (LYNEX_INIT__USER_PASSWORD does not sign it in): "
                        + (
                            f"it already owns {project_id!r}"
                            if owns
                            else f"not made an owner of {project_id!r} (share the project with it from the dashboard)"
                        )
                    ) from None
        role = await self.role_in(user.id, project_id)
        if role == "owner":
            return False
        if role is not None:
            raise BootstrapConflict(
                f"the init user is a {role} of {project_id!r} (an owner changed their role): kept as it is"
            )
        await self.add_member(project_id, user.email, "owner")
        return True

    async def _role_by_email(self, email: str, project_id: str) -> Role | None:
        u, m = tables.users, tables.memberships
        query = (
            sa.select(m.c.role)
            .join(u, u.c.id == m.c.user_id)
            .where(u.c.email == normalize_email(email), m.c.project_id == project_id)
        )
        async with self.engine.connect() as conn:
            return cast("Role | None", (await conn.execute(query)).scalar())

    # -- sessions -----------------------------------------------------------------------------------

    async def create_session(self, user_id: str) -> str:
        """A new session; the token goes in the cookie and is never stored."""
        token = secrets.token_urlsafe(32)
        now = _now()
        async with self.engine.begin() as conn:
            await conn.execute(
                tables.sessions.insert().values(
                    token_hash=self._token_hash(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
        return token

    async def session_user(self, token: str) -> User | None:
        s, u = tables.sessions, tables.users
        query = (
            sa.select(u.c.id, u.c.email, u.c.created_at, s.c.expires_at)
            .join(u, u.c.id == s.c.user_id)
            .where(s.c.token_hash == self._token_hash(token), s.c.revoked_at.is_(None))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or _aware(row.expires_at) <= _now():
            return None
        return User(id=row.id, email=row.email, created_at=_aware(row.created_at))

    async def end_session(self, token: str) -> None:
        s = tables.sessions
        async with self.engine.begin() as conn:
            await conn.execute(
                s.update().where(s.c.token_hash == self._token_hash(token)).values(revoked_at=_now())
            )

    # -- projects and memberships -------------------------------------------------------------------

    async def create_project(self, owner: User, name: str) -> Project:
        project = Project(id=new_id("prj"), name=name, created_at=_now())
        async with self.engine.begin() as conn:
            await conn.execute(tables.projects.insert().values(msgspec.structs.asdict(project)))
            await conn.execute(
                tables.memberships.insert().values(
                    project_id=project.id, user_id=owner.id, role="owner", created_at=project.created_at
                )
            )
        return project

    async def memberships(self, user_id: str) -> list[Membership]:
        m, p = tables.memberships, tables.projects
        query = (
            sa.select(p.c.id, p.c.name, p.c.created_at, m.c.role)
            .join(m, m.c.project_id == p.c.id)
            .where(m.c.user_id == user_id, p.c.deleted_at.is_(None))
            .order_by(p.c.created_at)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Membership(Project(id=r.id, name=r.name, created_at=_aware(r.created_at)), r.role) for r in rows
        ]

    async def role_in(self, user_id: str, project_id: str) -> Role | None:
        m, p = tables.memberships, tables.projects
        query = (
            sa.select(m.c.role)
            .join(p, p.c.id == m.c.project_id)
            .where(m.c.user_id == user_id, m.c.project_id == project_id, p.c.deleted_at.is_(None))
        )
        async with self.engine.connect() as conn:
            role = (await conn.execute(query)).scalar()
        return cast("Role | None", role)

    async def rename_project(self, project_id: str, name: str) -> None:
        p = tables.projects
        async with self.engine.begin() as conn:
            await conn.execute(p.update().where(p.c.id == project_id).values(name=name))

    async def delete_project(self, project_id: str) -> None:
        """Soft delete; its keys stop working at once (key lookups require a live project) and are revoked."""
        p, k = tables.projects, tables.api_keys
        now = _now()
        async with self.engine.begin() as conn:
            await conn.execute(p.update().where(p.c.id == project_id).values(deleted_at=now))
            await conn.execute(
                k.update()
                .where(k.c.project_id == project_id, k.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def members(self, project_id: str) -> list[Member]:
        """Who the project is shared with, owners first, then by when they joined."""
        u, m = tables.users, tables.memberships
        query = (
            sa.select(u.c.id, u.c.email, u.c.created_at, m.c.role, m.c.created_at.label("since"))
            .join(m, m.c.user_id == u.c.id)
            .where(m.c.project_id == project_id)
            .order_by(m.c.role != "owner", m.c.created_at, u.c.email)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Member(User(id=r.id, email=r.email, created_at=_aware(r.created_at)), r.role, _aware(r.since))
            for r in rows
        ]

    async def add_member(self, project_id: str, email: str, role: Role) -> User | None:
        """Share a project with an existing user; None if no such user. Re-adding changes the role;
        demoting the last owner raises LastOwner and changes nothing."""
        try:
            return await self._set_member(project_id, email, role)
        except IntegrityError:  # added meanwhile by a concurrent request: now it is a role change
            return await self._set_member(project_id, email, role)

    async def _set_member(self, project_id: str, email: str, role: Role) -> User | None:
        u, m = tables.users, tables.memberships
        async with self.engine.begin() as conn:
            row = (await conn.execute(sa.select(u).where(u.c.email == normalize_email(email)))).first()
            if row is None:
                return None
            mine = (m.c.project_id == project_id) & (m.c.user_id == row.id)
            changed = await conn.execute(m.update().where(mine).values(role=role))
            if not changed.rowcount:  # not a member yet; a role change keeps the date they joined
                await conn.execute(
                    m.insert().values(project_id=project_id, user_id=row.id, role=role, created_at=_now())
                )
            await self._keep_an_owner(conn, project_id)
        return User(id=row.id, email=row.email, created_at=_aware(row.created_at))

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        """False if not a member; removing the last owner raises LastOwner and changes nothing."""
        m = tables.memberships
        async with self.engine.begin() as conn:
            result = await conn.execute(
                m.delete().where(m.c.project_id == project_id, m.c.user_id == user_id)
            )
            await self._keep_an_owner(conn, project_id)
        return bool(result.rowcount)

    @staticmethod
    async def _keep_an_owner(conn: AsyncConnection, project_id: str) -> None:
        """Inside the change's transaction: raising rolls it back."""
        m = tables.memberships
        owners = await conn.scalar(
            sa.select(sa.func.count()).where(m.c.project_id == project_id, m.c.role == "owner")
        )
        if not owners:
            raise LastOwner("a project needs at least one owner: make someone else an owner first")
