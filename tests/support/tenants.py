"""Projects and API keys made in a server's control plane before it starts, for tests with several tenants."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from core.control.migrations import migrate
from core.control.store import ControlPlane
from core.database import create_engine
from core.settings import load_settings
from tests.support.services import new_api_key


@dataclass(frozen=True)
class Tenant:
    project_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


async def create_tenants(home: Path, names: list[str]) -> list[Tenant]:
    """A project named (and with the id) of each name, with one key each, in `home`'s control plane.

    The first one can be the server's LYNEX_INIT project: its bootstrap finds the project and key there.
    """
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    settings = load_settings({"LYNEX_HOME": str(home), "LYNEX_ENV": "test"})
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        control = ControlPlane(engine)
        tenants = []
        for name in names:
            project = await control.create_project(name, project_id=name)
            _, secret = await control.create_key(project.id, f"{name}-key", new_api_key())
            tenants.append(Tenant(project.id, secret))
        return tenants
    finally:
        await engine.dispose()
