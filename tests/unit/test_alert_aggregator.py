"""The aggregate-and-evaluate stage over plain dicts (the agent backs them with changelogged tables):
notices on crossing, silence in the cooldown, resolve on ticks, and state that survives a restart."""

from __future__ import annotations

from typing import Any

from contracts.enriched import EnrichedEnvelope
from streams.aggregator import Aggregator
from streams.rule_cache import RuleCache
from tests.unit.test_alert_rules import rule
from tests.unit.test_alert_windows import NOW, event

T0 = NOW.timestamp()


def envelope(*events: Any) -> EnrichedEnvelope:
    return EnrichedEnvelope(project_id="p", events=list(events))


def setup(**kw: Any) -> tuple[Aggregator, dict[bytes, bytes], dict[bytes, bytes], RuleCache]:
    rules = RuleCache()
    rules.replace([rule("error_rate", 50, min_requests=4, window_minutes=1, cooldown_s=10, **kw)])
    windows: dict[bytes, bytes] = {}
    states: dict[bytes, bytes] = {}
    return Aggregator(windows, states, rules, min_gap_s=0.2), windows, states, rules


def test_crossing_fires_once_then_resolves_on_a_tick() -> None:
    agg, windows, states, _ = setup()
    assert agg.on_envelope(envelope(event(), event()), 1, T0) == []
    [notice] = agg.on_envelope(envelope(*[event(status="error")] * 3), 1, T0 + 0.5)
    assert (notice.state, notice.value, notice.rule_id) == ("fired", 60.0, "r")
    assert agg.on_envelope(envelope(*[event(status="error")] * 3), 1, T0 + 1) == []
    assert b"p" in windows  # flushed to the table
    assert b"r" in states
    # Two minutes later the window is empty: the tick of the project's partition resolves it.
    assert agg.on_tick(0, T0 + 120) == []  # another partition's tick: not this project
    [resolved] = agg.on_tick(1, T0 + 120)
    assert resolved.state == "resolved"


def test_evaluation_on_events_is_rate_limited_and_the_tick_catches_up() -> None:
    agg, *_ = setup()
    agg.on_envelope(envelope(event(), event()), 1, T0)
    # 0.1 s later, inside the minimum gap: not evaluated on the event ...
    assert agg.on_envelope(envelope(*[event(status="error")] * 3), 1, T0 + 0.1) == []
    # ... but on the next tick.
    [notice] = agg.on_tick(1, T0 + 0.9)
    assert notice.state == "fired"


def test_a_restarted_aggregator_recovers_windows_and_stays_silent_in_the_cooldown() -> None:
    agg, windows, states, rules = setup()
    agg.on_envelope(envelope(*[event(status="error")] * 5), 2, T0)
    agg.on_tick(2, T0 + 0.5)  # flushes the window
    restarted = Aggregator(dict(windows), dict(states), rules)
    assert restarted.on_tick(2, T0 + 5) == []  # still breached, still in the cooldown
    [reminder] = restarted.on_tick(2, T0 + 10.5)
    assert (reminder.state, reminder.repeat, reminder.value) == ("fired", True, 100.0)


def test_a_project_without_rules_is_aggregated_but_never_notified() -> None:
    agg, windows, _, rules = setup()
    rules.replace([])
    assert agg.on_envelope(envelope(*[event(status="error")] * 5), 0, T0) == []
    assert agg.on_tick(0, T0 + 1) == []
    assert b"p" in windows
