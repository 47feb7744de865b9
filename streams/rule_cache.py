"""The enabled alert rules, polled from the control plane every LYNEX_ALERTS__RULES_RELOAD_S.

Polling is the simplest thing that bounds how long an edit takes to reach every worker (one reload
interval) and needs nothing but the database every role already has. A failed reload keeps the
rules last loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from core.control.rules import Rule, RuleStore
from core.metrics import AlertMetrics

log = logging.getLogger(__name__)


class RuleCache:
    def __init__(self, store: RuleStore | None = None, metrics: AlertMetrics | None = None) -> None:
        self.store = store
        self.metrics = metrics
        self.by_id: dict[str, Rule] = {}
        self.by_project: dict[str, list[Rule]] = {}
        self.loaded = asyncio.Event()

    def replace(self, rules: list[Rule]) -> None:
        by_project: dict[str, list[Rule]] = {}
        for rule in rules:
            by_project.setdefault(rule.project_id, []).append(rule)
        self.by_id = {rule.id: rule for rule in rules}
        self.by_project = by_project
        if self.metrics is not None:
            self.metrics.rules.set(len(rules))

    def for_project(self, project_id: str) -> list[Rule]:
        return self.by_project.get(project_id, [])

    async def reload(self) -> None:
        assert self.store is not None
        self.replace(await self.store.list_enabled())
        self.loaded.set()

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Reload until `stop` is set."""
        while not stop.is_set():
            try:
                await self.reload()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("alert_rules_not_reloaded", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
