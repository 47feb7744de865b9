"""What the reconciliation test sends: good events whose content can be checked once stored, and every
kind of bad input, each with the one answer the contract gives it.

Refusals are whole requests the gateway must answer with a 4xx and write nothing of (a batch is
all-or-nothing); poison records are written straight to a topic, past the gateway, and must come out
on the dead-letter topic with their reason.
"""

from __future__ import annotations

import base64
import gzip
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.limits import KIB, MAX_EVENT_BYTES, MAX_JSON_DEPTH, MAX_REQUEST_BYTES, MIB

JSON = {"Content-Type": "application/json"}


def llm_event(tag: str, seq: int, prompt: str | None = None) -> dict[str, Any]:
    """An `llm_call` with a unique prompt, so a stored row can be matched to what was sent."""
    return {
        "eventId": str(uuid.uuid4()),
        "type": "llm_call",
        "timestamp": datetime.now(UTC).isoformat(),
        "body": {
            "model": "gpt-4o-mini",
            "prompt": prompt if prompt is not None else f"{tag} #{seq}: {uuid.uuid4().hex}",
            "response": f"answer {seq}",
            "tokens": {"input": 100 + seq % 7, "output": 10 + seq % 5},
            "latencyMs": 50 + seq % 13,
            "status": "ok",
        },
    }


def incompressible_text(n: int) -> str:
    """`n` characters of base64 of random bytes: nothing (zstd, gzip) gets it much smaller."""
    return base64.b64encode(os.urandom(n * 3 // 4 + 3)).decode()[:n]


def big_event(tag: str, total_bytes: int) -> dict[str, Any]:
    """An `llm_call` whose JSON encoding is about `total_bytes`, nearly all of it an incompressible prompt."""
    event = llm_event(tag, 0, prompt="")
    overhead = len(msgspec.json.encode(event))
    event["body"]["prompt"] = incompressible_text(total_bytes - overhead)
    return event


def hostile_events(tag: str) -> list[dict[str, Any]]:
    """Valid events that a careless stage could choke on; each must be accepted and stored as sent.

    Odd text (NUL and other control characters, quotes, backslashes, emoji, bidi overrides); model ids
    of 256 characters made of a family name and dozens of dates, each of which also reads as a version
    plus a suffix (a backtracking matcher tries exponentially many splits); chat-message prompts; params
    nested to exactly MAX_JSON_DEPTH; a timestamp in the year 9999 (replaced, the body kept); the
    largest token counts, latency and cost; a log whose attributes hold an integer past 64 bits.
    """
    odd = "NUL \x00, controls \x01\x1b\x7f, quotes \" ' `, backslashes \\ \\\\, emoji \U0001f600, bidi \u202e, \u6f22\u5b57"
    events = [llm_event(tag, i, prompt=f"{odd} #{i} {uuid.uuid4().hex}") for i in range(3)]
    for n, family in enumerate(("o1", "gpt-4o", "claude-3-opus")):
        event = llm_event(tag, 10 + n)
        event["body"]["model"] = (family + "-2024-01-01" * 30)[:255] + chr(0x4E00 + n)
        events.append(event)
    chat = llm_event(tag, 20)
    chat["body"]["prompt"] = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": f"{odd} {uuid.uuid4().hex}"}]},
    ]
    chat["body"]["response"] = {"role": "assistant", "content": "ok"}
    deep = llm_event(tag, 21)
    deep["body"]["params"] = {"k": _nested(MAX_JSON_DEPTH - 5)}  # {events [ event { body { params { ...
    future = {**llm_event(tag, 22), "timestamp": "9999-12-31T23:59:59+00:00"}
    extreme = llm_event(tag, 23)
    extreme["body"] |= {"tokens": {"input": 10**12, "output": 10**12}, "latencyMs": 1e308, "costUsd": 1e308}
    log = {
        "eventId": str(uuid.uuid4()),
        "type": "log",
        "body": {
            "level": "error",
            "message": odd,
            "attributes": {"big": 10**30, "tiny": -1e308, "list": [odd]},
        },
    }
    return [*events, chat, deep, future, extreme, log]


def many_names_events(tag: str, start: int, n: int) -> list[dict[str, Any]]:
    """Failed calls, each with a model id and an error type of its own (near the 256-character limit)
    and latencies spread over twelve orders of magnitude: what makes unbounded alert-window state grow
    past any record limit."""
    events = []
    for i in range(start, start + n):
        event = llm_event(tag, i)
        event["body"] |= {
            "model": f"model-{i:07d}-" + "m" * 236,
            "status": "error",
            "error": {"type": f"Error{i:07d}" + "E" * 230, "message": "boom"},
            "latencyMs": 1.37 * 10 ** (i % 12),
        }
        events.append(event)
    return events


def batch(events: list[dict[str, Any]]) -> bytes:
    return msgspec.json.encode({"events": events})


@dataclass(frozen=True)
class Refusal:
    """A request the gateway must refuse with `status`, writing none of `event_ids`."""

    kind: str
    body: bytes
    status: int
    event_ids: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))

    @property
    def events(self) -> int:
        """Events in the request, for the counts (an unparseable body counts as one)."""
        return max(1, len(self.event_ids))


def _nested(containers: int) -> Any:
    value: Any = "leaf"
    for level in range(containers):
        value = [value] if (containers - level) % 2 == 0 else {"k": value}  # the outermost: an object
    return value


def _refusal(kind: str, events: list[dict[str, Any]], status: int, body: bytes | None = None) -> Refusal:
    return Refusal(
        kind, body if body is not None else batch(events), status, tuple(e["eventId"] for e in events)
    )


def refusals(tag: str) -> list[Refusal]:
    """One request of every refused kind; the good events riding along must not be stored either."""
    good = [llm_event(tag, i) for i in range(3)]
    over_event = big_event(tag, MAX_EVENT_BYTES + 16 * KIB)
    over_request = [big_event(tag, 900 * KIB) for _ in range(MAX_REQUEST_BYTES // (900 * KIB) + 1)]
    bomb_events = [llm_event(tag, 0, prompt="a" * (MAX_REQUEST_BYTES + MIB))]
    bomb = Refusal(
        "gzip over the request limit",
        gzip.compress(batch(bomb_events)),
        413,
        (bomb_events[0]["eventId"],),
        {**JSON, "Content-Encoding": "gzip"},
    )
    bad_tokens = llm_event(tag, 1)
    bad_tokens["body"]["tokens"]["input"] = "many"
    unknown_type = {**llm_event(tag, 2), "type": "no_such_type"}
    deep = {"eventId": str(uuid.uuid4()), "type": "custom", "body": _nested(MAX_JSON_DEPTH + 1 - 3)}
    bad_utf8 = llm_event(tag, 3, prompt="MARK")
    return [
        _refusal("event over MAX_EVENT_BYTES", [over_event], 413),
        _refusal("event over MAX_EVENT_BYTES beside good ones", [*good, over_event], 413),
        _refusal("request over MAX_REQUEST_BYTES", over_request, 413),
        bomb,
        _refusal("invalid JSON", good, 422, body=batch(good)[:-7]),
        _refusal("wrong field type beside good ones", [*good, bad_tokens], 422),
        _refusal("unknown event type", [unknown_type], 422),
        _refusal(f"nesting depth {MAX_JSON_DEPTH + 1}", [deep], 422),
        Refusal("nesting depth 100,000", b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", 422),
        _refusal(
            "invalid UTF-8 in a string",
            [bad_utf8],
            422,
            body=batch([bad_utf8]).replace(b"MARK", b"\xff\xfe"),
        ),
        Refusal("not a JSON object", b"[1, 2, 3]", 422),
    ]


@dataclass(frozen=True)
class Poison:
    """A record written straight to a topic that no stage can process: it must be dead-lettered."""

    kind: str
    topic: str  # "raw" or "enriched"
    stage: str  # the stage that must dead-letter it (its `lynex-stage` header)
    value: bytes


POISON = (
    Poison("raw: not an envelope", "raw", "enrich", b"\x00not an envelope"),
    Poison("raw: JSON of the wrong shape", "raw", "enrich", b'{"projectId": 7, "events": "none"}'),
    Poison("raw: truncated envelope", "raw", "enrich", b'{"projectId": "p", "events": [{"eventId": '),
    Poison("enriched: not MessagePack", "enriched", "sink", b"\xc1\xc1 never valid MessagePack"),
)
