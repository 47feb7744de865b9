"""Delivering an alert through Apprise: one message, each channel on its own, bounded retries.

Apprise is synchronous, so each attempt runs in a worker thread with a time limit. A channel is tried
up to `attempts` times with doubling backoff (capped at 10 s), all channels of one alert in
parallel, so one dead receiver delays nothing but itself and gives up after a bounded time; its
failure is returned (and recorded by the caller), never raised.

The message: the title is for people (`[Lynex] FIRING: name - error_rate 75 > 50 over 5 min`), the
body is JSON (rule, observed value, threshold, window) so that a webhook can act on it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import apprise
import msgspec

from contracts.alerts import AlertNotice
from core.crypto import mask_url
from core.egress import blocked_target

MAX_BACKOFF_S = 10.0
_UNITS = {
    "error_rate": "%",
    "tokens": " tokens",
    "cost": " USD",
    "error_type": " times",
    "latency_p95": " ms",
}


class Delivery(msgspec.Struct, frozen=True, rename="camel"):
    """The outcome of one alert on one channel (the channel masked: it holds secrets)."""

    channel: str
    ok: bool
    attempts: int
    seconds: float
    error: str = ""


class RuleRef(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    name: str
    kind: str
    threshold: float
    window_minutes: int
    model: str
    error_type: str


class AlertMessage(msgspec.Struct, frozen=True, rename="camel"):
    """The JSON body every channel receives."""

    alert_id: str
    state: str
    project_id: str
    rule: RuleRef
    value: float
    threshold: float
    window_minutes: int
    at: datetime
    repeat: bool
    test: bool


def is_channel_url(url: str) -> bool:
    """Apprise knows this URL's scheme and can parse it (no network)."""
    return bool(apprise.Apprise().add(url))


def format_notice(notice: AlertNotice, *, test: bool = False) -> tuple[str, str]:
    """(title, body) of the message for `notice`."""
    unit = _UNITS.get(notice.kind, "")
    what = notice.kind + (f"[{notice.error_type}]" if notice.error_type else "")
    what += f" model={notice.model}" if notice.model else ""
    cmp = ">=" if notice.kind == "error_type" else ">"
    state = "TEST" if test else ("FIRING" if notice.state == "fired" else "RESOLVED")
    title = (
        f"[Lynex] {state}: {notice.rule_name} - {what} {notice.value:g}{unit} "
        f"({cmp} {notice.threshold:g}{unit} over {notice.window_minutes} min)"
    )
    body = AlertMessage(
        alert_id=notice.alert_id,
        state=notice.state,
        project_id=notice.project_id,
        rule=RuleRef(
            id=notice.rule_id,
            name=notice.rule_name,
            kind=notice.kind,
            threshold=notice.threshold,
            window_minutes=notice.window_minutes,
            model=notice.model,
            error_type=notice.error_type,
        ),
        value=notice.value,
        threshold=notice.threshold,
        window_minutes=notice.window_minutes,
        at=datetime.fromtimestamp(notice.at, UTC),
        repeat=notice.repeat,
        test=test,
    )
    return title, msgspec.json.encode(body).decode()


def _send(url: str, title: str, body: str, notify_type: str) -> tuple[bool, str]:
    sender = apprise.Apprise()
    if not sender.add(url):
        return False, "not a channel URL Apprise understands"
    ok = sender.notify(body=body, title=title, notify_type=notify_type)
    return bool(ok), "" if ok else "the channel refused the message or could not be reached"


async def deliver_one(
    url: str,
    title: str,
    body: str,
    notify_type: str,
    *,
    attempts: int,
    backoff_s: float,
    timeout_s: float,
    allow_private: bool,
) -> Delivery:
    started = time.monotonic()
    # Checked at every delivery, not only when the rule was saved: DNS may have changed since.
    refused = await asyncio.to_thread(blocked_target, url, allow_private=allow_private)
    if refused:
        return Delivery(mask_url(url), False, 0, time.monotonic() - started, f"refused: {refused}")
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            ok, error = await asyncio.wait_for(
                asyncio.to_thread(_send, url, title, body, notify_type), timeout=timeout_s
            )
        except TimeoutError:
            ok, error = False, f"no answer within {timeout_s:g} s"
        if ok:
            return Delivery(mask_url(url), True, attempt, time.monotonic() - started)
        if attempt < attempts:
            await asyncio.sleep(min(backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
    return Delivery(mask_url(url), False, attempts, time.monotonic() - started, error)


async def deliver(
    urls: list[str],
    notice: AlertNotice,
    *,
    attempts: int,
    backoff_s: float,
    timeout_s: float,
    allow_private: bool,
    test: bool = False,
) -> list[Delivery]:
    """Send `notice` to every channel in parallel; one outcome per channel, in order."""
    title, body = format_notice(notice, test=test)
    if test:
        kind = apprise.NotifyType.INFO
    elif notice.state == "fired":
        kind = apprise.NotifyType.FAILURE
    else:
        kind = apprise.NotifyType.SUCCESS
    return list(
        await asyncio.gather(
            *(
                deliver_one(
                    url,
                    title,
                    body,
                    kind,
                    attempts=attempts,
                    backoff_s=backoff_s,
                    timeout_s=timeout_s,
                    allow_private=allow_private,
                )
                for url in urls
            )
        )
    )
