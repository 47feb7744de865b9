"""The aggregate-and-evaluate stage: enriched envelopes and timer ticks in, alert notices out.

It works on two mappings the agent backs with changelogged faust tables (plain dicts in unit tests):
`windows` (project id -> `ProjectWindow`) and `states` (rule id -> `RuleAlertState`), both written
only while the agent handles a record of the project's partition, so each key's changelog lives in
that partition and a restarted or rebalanced worker recovers it.

Costs are bounded: decoded windows are cached in memory and written back to the table at most once
per `flush_every_s` per project (a crash can lose or double-count about that much, which alerting
tolerates); on events a project's rules are evaluated at most once per `min_gap_s`, and every tick
evaluates all rules of the tick's partition (resolving, reminders and anything skipped), so a
threshold crossing is seen within one tick interval at worst.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping

from contracts.alerts import AlertNotice
from contracts.enriched import EnrichedEnvelope
from core.control.rules import Rule
from core.metrics import AlertMetrics
from streams.alerting import RuleAlertState, decide, decode_state, encode_state
from streams.rule_cache import RuleCache
from streams.rules import WindowEvaluator
from streams.windows import ProjectWindow, add_events, decode_window, encode_window, prune


class Aggregator:
    def __init__(
        self,
        windows: MutableMapping[bytes, bytes],
        states: MutableMapping[bytes, bytes],
        rules: RuleCache,
        metrics: AlertMetrics | None = None,
        *,
        min_gap_s: float = 0.2,
        flush_every_s: float = 1.0,
    ) -> None:
        self.windows = windows
        self.states = states
        self.rules = rules
        self.metrics = metrics
        self.min_gap_s = min_gap_s
        self.flush_every_s = flush_every_s
        self._cache: dict[str, ProjectWindow] = {}
        self._dirty: set[str] = set()
        self._flushed_at: dict[str, float] = {}
        self._evaluated_at: dict[str, float] = {}

    def forget(self) -> None:
        """Drop in-memory copies (after a rebalance the tables are the truth again)."""
        self._cache.clear()
        self._dirty.clear()
        self._flushed_at.clear()

    def _window(self, project_id: str) -> ProjectWindow | None:
        window = self._cache.get(project_id)
        if window is None:
            raw = self.windows.get(project_id.encode())
            if raw is None:
                return None
            window = self._cache[project_id] = decode_window(raw)
        return window

    def _flush(self, project_id: str, window: ProjectWindow, now: float) -> None:
        prune(window, now)
        self.windows[project_id.encode()] = encode_window(window)
        self._flushed_at[project_id] = now
        self._dirty.discard(project_id)

    def on_envelope(self, envelope: EnrichedEnvelope, partition: int, now: float) -> list[AlertNotice]:
        project_id = envelope.project_id
        window = self._window(project_id)
        if window is None:
            window = self._cache[project_id] = ProjectWindow()
        window.partition = partition
        add_events(window, envelope.events, now)
        self._dirty.add(project_id)
        if now - self._flushed_at.get(project_id, 0.0) >= self.flush_every_s:
            self._flush(project_id, window, now)
        if now - self._evaluated_at.get(project_id, 0.0) < self.min_gap_s:
            return []
        return self._evaluate(project_id, window, now)

    def on_tick(self, partition: int, now: float) -> list[AlertNotice]:
        for project_id in [p for p in self._dirty if self._cache[p].partition == partition]:
            self._flush(project_id, self._cache[project_id], now)
        notices: list[AlertNotice] = []
        for project_id in list(self.rules.by_project):
            window = self._window(project_id)
            if window is not None and window.partition == partition:
                notices += self._evaluate(project_id, window, now)
        return notices

    def _evaluate(self, project_id: str, window: ProjectWindow, now: float) -> list[AlertNotice]:
        self._evaluated_at[project_id] = now
        rules = self.rules.for_project(project_id)
        evaluator = WindowEvaluator(window, now)
        notices = []
        for rule in rules:
            evaluation = evaluator.evaluate(rule)
            key = rule.id.encode()
            raw = self.states.get(key)
            state = decode_state(raw) if raw is not None else RuleAlertState()
            new_state, decision = decide(state, evaluation.breached, now, rule.cooldown_s)
            if decision is None:
                continue
            # The state is written before the notice is produced: a crash in between loses a
            # notification rather than sending it twice.
            self.states[key] = encode_state(new_state)
            notices.append(_notice(rule, decision.state, decision.repeat, evaluation.value, now))
        if self.metrics is not None:
            self.metrics.evaluations.inc(len(rules))
            for notice in notices:
                self.metrics.notices.labels(notice.state).inc()
        return notices


def _notice(rule: Rule, state: str, repeat: bool, value: float, now: float) -> AlertNotice:
    return AlertNotice(
        alert_id=str(uuid.uuid4()),
        project_id=rule.project_id,
        rule_id=rule.id,
        rule_name=rule.name,
        kind=rule.kind,
        state="fired" if state == "fired" else "resolved",
        at=now,
        value=value,
        threshold=rule.threshold,
        window_minutes=rule.window_minutes,
        model=rule.model,
        error_type=rule.error_type,
        repeat=repeat,
    )
