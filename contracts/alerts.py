"""What flows on `lynex.alerts`: one `AlertNotice` per notification decision, keyed by rule id.

The aggregation stage decides (fired, a reminder while still firing, resolved); the notifier delivers
and writes the history. A notice carries a snapshot of the rule's condition, never its channel URLs
(they hold secrets; the notifier reads them from the control plane).
"""

from __future__ import annotations

from typing import Literal

import msgspec

RuleKind = Literal["error_rate", "tokens", "cost", "error_type", "latency_p95"]
RULE_KINDS: tuple[str, ...] = ("error_rate", "tokens", "cost", "error_type", "latency_p95")
AlertState = Literal["fired", "resolved"]


class AlertNotice(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    alert_id: str  # unique per notice: history rows deduplicate on it
    project_id: str
    rule_id: str
    rule_name: str
    kind: str
    state: AlertState
    # When the condition was evaluated (epoch seconds): the moment the transition was decided.
    at: float
    value: float
    threshold: float
    window_minutes: int
    model: str = ""
    error_type: str = ""
    # True for a reminder: still firing after the cooldown.
    repeat: bool = False


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AlertNotice)


def encode_notice(notice: AlertNotice) -> bytes:
    return _encoder.encode(notice)


def decode_notice(payload: bytes) -> AlertNotice:
    return _decoder.decode(payload)
