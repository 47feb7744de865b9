"""Rule evaluation (pure): a rule and a project's window -> (breached?, observed value).

What each kind's `threshold` means, over the rule's window (optionally one model only):

| kind          | observed value                          | breached when                                  |
|---------------|-----------------------------------------|------------------------------------------------|
| `error_rate`  | failed / all `llm_call`s, in percent    | value > threshold and requests >= minRequests   |
| `tokens`      | input + output tokens                   | value > threshold                              |
| `cost`        | estimated cost in USD                   | value > threshold                              |
| `error_type`  | events with error type `errorType`      | value >= threshold (seen at least N times)     |
| `latency_p95` | p95 of `llm_call` latency, ms           | value > threshold and calls >= minRequests     |

`minRequests` is at least 1 wherever it applies: a window without requests never breaches.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.control.rules import Rule
from streams.windows import Bucket, ProjectWindow, aggregate


@dataclass(frozen=True)
class Evaluation:
    breached: bool
    value: float


def evaluate_bucket(rule: Rule, agg: Bucket) -> Evaluation:
    min_requests = max(rule.min_requests, 1)
    if rule.kind == "error_rate":
        value = agg.error_rate
        return Evaluation(agg.requests >= min_requests and value > rule.threshold, value)
    if rule.kind == "tokens":
        return Evaluation(agg.tokens > rule.threshold, float(agg.tokens))
    if rule.kind == "cost":
        return Evaluation(agg.cost_usd > rule.threshold, agg.cost_usd)
    if rule.kind == "error_type":
        seen = float(agg.error_types.get(rule.error_type, 0))
        return Evaluation(seen >= max(rule.threshold, 1), seen)
    p95 = agg.latency.quantile(0.95)
    if p95 is None:
        return Evaluation(False, 0.0)
    return Evaluation(agg.latency.count >= min_requests and p95 > rule.threshold, p95)


class WindowEvaluator:
    """Evaluates several rules over one window at one moment, merging each (minutes, model) once."""

    def __init__(self, window: ProjectWindow, now: float) -> None:
        self.window = window
        self.now = now
        self._merged: dict[tuple[int, str], Bucket] = {}

    def evaluate(self, rule: Rule) -> Evaluation:
        key = (rule.window_minutes, rule.model)
        agg = self._merged.get(key)
        if agg is None:
            agg = self._merged[key] = aggregate(
                self.window, self.now, rule.window_minutes, rule.model or None
            )
        return evaluate_bucket(rule, agg)
