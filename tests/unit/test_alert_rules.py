"""Rule evaluation per kind, and the alert state machine (fire, cooldown, reminder, resolve)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.control.rules import Rule, RuleInvalid, RuleSpec, check_spec
from streams.alerting import RuleAlertState, decide, decode_state, encode_state
from streams.rules import WindowEvaluator, evaluate_bucket
from streams.windows import Bucket, ProjectWindow, add_events
from tests.unit.test_alert_windows import NOW, event


def rule(kind: str, threshold: float, **kw: Any) -> Rule:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": "r", "project_id": "p", "name": "n", "kind": kind, "threshold": threshold,
        "window_minutes": 5, "min_requests": 0, "error_type": "", "model": "", "cooldown_s": 300,
        "enabled": True, "channels": [], "created_at": at, "updated_at": at,
    }  # fmt: skip
    return Rule(**(fields | kw))


def bucket_of(*events: Any) -> Bucket:
    window = ProjectWindow()
    add_events(window, events, NOW.timestamp())
    [models] = window.minutes.values()
    out = Bucket()
    for b in models.values():
        out.merge(b)
    return out


def test_error_rate_needs_its_minimum_of_requests() -> None:
    agg = bucket_of(*[event(status="error")] * 3, event())
    assert evaluate_bucket(rule("error_rate", 50), agg).breached
    assert evaluate_bucket(rule("error_rate", 50), agg).value == pytest.approx(75)
    assert not evaluate_bucket(rule("error_rate", 50, min_requests=5), agg).breached
    assert not evaluate_bucket(rule("error_rate", 75), agg).breached  # strictly above
    assert not evaluate_bucket(rule("error_rate", 0), Bucket()).breached  # no requests, no alert


def test_tokens_cost_error_type_and_latency() -> None:
    agg = bucket_of(
        event(tokens=(600, 500), cost=0.5, latency=100),
        *[event(tokens=(0, 0), cost=0.0, latency=900 + i) for i in range(19)],
        event(type="error", error_type="RateLimitError", tokens=(0, 0), cost=None, latency=None),
    )
    assert evaluate_bucket(rule("tokens", 1000), agg).breached
    assert not evaluate_bucket(rule("tokens", 1100), agg).breached
    assert evaluate_bucket(rule("cost", 0.4), agg).breached
    assert not evaluate_bucket(rule("cost", 0.5), agg).breached
    hit = evaluate_bucket(rule("error_type", 1, error_type="RateLimitError"), agg)
    assert (hit.breached, hit.value) == (True, 1.0)
    assert not evaluate_bucket(rule("error_type", 2, error_type="RateLimitError"), agg).breached
    assert not evaluate_bucket(rule("error_type", 1, error_type="Timeout"), agg).breached
    p95 = evaluate_bucket(rule("latency_p95", 800), agg)
    assert p95.breached
    assert p95.value == pytest.approx(917, rel=0.02)
    assert not evaluate_bucket(rule("latency_p95", 800, min_requests=50), agg).breached
    assert not evaluate_bucket(rule("latency_p95", 1), Bucket()).breached


def test_model_filter_through_the_window_evaluator() -> None:
    window = ProjectWindow()
    add_events(window, [event(model="a", status="error"), event(model="b")], NOW.timestamp())
    evaluator = WindowEvaluator(window, NOW.timestamp())
    assert evaluator.evaluate(rule("error_rate", 50, model="a")).breached
    assert not evaluator.evaluate(rule("error_rate", 50, model="b")).breached
    assert not evaluator.evaluate(rule("error_rate", 50)).breached  # 50 % is not above 50


def test_fire_cooldown_reminder_resolve() -> None:
    state = RuleAlertState()
    state, d = decide(state, False, 0, 60)
    assert d is None
    state, d = decide(state, True, 10, 60)
    assert d is not None
    assert (d.state, d.repeat) == ("fired", False)
    for t in (11, 30, 69):
        state, d = decide(state, True, t, 60)
        assert d is None  # still firing, inside the cooldown: silent
    state, d = decide(state, True, 70, 60)
    assert d is not None
    assert (d.state, d.repeat) == ("fired", True)
    assert state.since == 10
    state, d = decide(state, False, 100, 60)  # clear, but inside the cooldown: wait
    assert d is None
    state, d = decide(state, False, 130, 60)
    assert d is not None
    assert d.state == "resolved"
    state, d = decide(state, False, 300, 60)
    assert d is None
    assert not state.firing


def test_a_flap_inside_the_cooldown_sends_nothing() -> None:
    state, d = decide(RuleAlertState(), True, 0, 60)
    assert d is not None
    state, d = decide(state, False, 5, 60)
    state, d2 = decide(state, True, 20, 60)
    assert d is None
    assert d2 is None
    state, d = decide(state, True, 61, 60)  # still breached after the cooldown: a reminder, not resolved
    assert d is not None
    assert (d.state, d.repeat) == ("fired", True)


def test_state_survives_its_table_encoding() -> None:
    state, _ = decide(RuleAlertState(), True, 1234.5, 60)
    assert decode_state(encode_state(state)) == state


def test_spec_checks() -> None:
    base: dict[str, Any] = {"name": "n", "threshold": 1, "channels": ["json://x"]}
    with pytest.raises(RuleInvalid, match="errorType"):
        check_spec(RuleSpec(kind="error_type", **base))
    with pytest.raises(RuleInvalid, match="threshold"):
        check_spec(RuleSpec(kind="error_rate", **(base | {"threshold": 100})))
    assert check_spec(RuleSpec(kind="error_type", error_type="Timeout", **base)).error_type == "Timeout"
