"""The per-rule alert state machine (pure): when a rule's evaluation becomes a notification.

State is what was last *told* (firing or not) and when. On every evaluation:

- breached, last told "ok" (or nothing)  -> notify `fired`
- breached, last told "firing"           -> silent; once the cooldown has passed since the last
                                            notification, notify `fired` again (a reminder)
- clear, last told "firing"              -> notify `resolved`
- clear, last told "ok"                  -> silent

and at most one notification per rule per cooldown: a change that comes within the cooldown of the
last notification waits until the cooldown has passed and is sent only if it still holds then (a
condition flapping around its threshold does not page anyone twice in a cooldown). The state is
kept in a changelogged table, so this holds across worker restarts too.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class RuleAlertState(msgspec.Struct):
    firing: bool = False  # what the last notification said
    last_notified_at: float | None = None
    # The breach's start (the first `fired` of this episode), for the resolved notice.
    since: float | None = None


class Decision(msgspec.Struct, frozen=True):
    state: Literal["fired", "resolved"]
    repeat: bool = False


def decide(
    state: RuleAlertState, breached: bool, now: float, cooldown_s: float
) -> tuple[RuleAlertState, Decision | None]:
    """The next state, and the notification to send now (None: stay silent)."""
    cooled = state.last_notified_at is None or now - state.last_notified_at >= cooldown_s
    if not cooled:
        return state, None
    if breached:
        repeat = state.firing
        since = state.since if repeat else now
        return RuleAlertState(firing=True, last_notified_at=now, since=since), Decision("fired", repeat)
    if state.firing:
        return RuleAlertState(firing=False, last_notified_at=now, since=None), Decision("resolved")
    return state, None


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(RuleAlertState)


def encode_state(state: RuleAlertState) -> bytes:
    return _encoder.encode(state)


def decode_state(payload: bytes) -> RuleAlertState:
    return _decoder.decode(payload)
