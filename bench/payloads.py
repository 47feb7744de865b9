"""Generated events: ~1 KB `llm_call` events shaped like the Python SDK sends them, and request bodies.

Deterministic (seeded), so every run and every contender (Lynex, the limit, the FastAPI peer) gets the
same bytes. Each event has its own id; a body pool is cycled by the load generator.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import msgspec

MODELS = (
    ("gpt-4o-mini", "openai"),
    ("gpt-4o", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("gemini-2.5-flash", "google"),
    ("mistral-large-latest", "mistral"),
)
_WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "for",
    "on",
    "with",
    "that",
    "this",
    "model",
    "answer",
    "user",
    "request",
    "token",
    "latency",
    "stream",
    "summary",
    "ticket",
    "customer",
    "order",
    "invoice",
    "refund",
    "shipping",
    "account",
    "password",
    "reset",
    "error",
    "retry",
    "timeout",
    "context",
    "window",
    "prompt",
    "completion",
    "assistant",
    "system",
    "tool",
    "call",
    "function",
    "json",
    "schema",
    "result",
    "value",
    "please",
    "explain",
    "briefly",
    "why",
    "how",
    "what",
    "when",
    "where",
    "which",
    "paris",
    "france",
    "weather",
    "report",
    "quarterly",
]
_encoder = msgspec.json.Encoder()


def _text(rnd: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rnd.choice(_WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars]


def llm_call(rnd: random.Random, now: datetime, *, model: str | None = None) -> dict[str, object]:
    """One ~1 KB llm_call event as a plain dict (camelCase, as on the wire)."""
    name, provider = rnd.choice(MODELS)
    tokens_in = rnd.randrange(20, 4000)
    return {
        "eventId": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "type": "llm_call",
        "timestamp": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "sdk": {"name": "lynex-python", "version": "0.1.0"},
        "context": {
            "env": "production",
            "userId": f"user-{rnd.randrange(100_000)}",
            "sessionId": f"s-{rnd.getrandbits(48):012x}",
            "release": "2026.11.1",
            "tags": {"feature": rnd.choice(("chat", "search", "summarize", "agent"))},
        },
        "body": {
            "model": model or name,
            "provider": provider,
            "prompt": [
                {"role": "system", "content": _text(rnd, 60)},
                {"role": "user", "content": _text(rnd, 160)},
            ],
            "response": {"role": "assistant", "content": _text(rnd, 130)},
            "tokens": {"input": tokens_in, "output": rnd.randrange(1, 800), "cached": 0},
            "latencyMs": round(rnd.lognormvariate(6.0, 0.6), 1),
            "status": "error" if rnd.random() < 0.02 else "ok",
            "params": {"temperature": 0.2, "max_tokens": 512},
            "traceId": f"{rnd.getrandbits(128):032x}",
            "spanId": f"{rnd.getrandbits(64):016x}",
        },
    }


def event_bodies(count: int, per_request: int, seed: int = 7) -> list[bytes]:
    """`count` request bodies: a single event when `per_request` is 1, else {"events": [...]}."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    bodies = []
    for _ in range(count):
        events = [llm_call(rnd, now) for _ in range(per_request)]
        bodies.append(_encoder.encode(events[0] if per_request == 1 else {"events": events}))
    return bodies


def event_size(bodies: list[bytes], per_request: int) -> int:
    """Mean bytes per event in these bodies."""
    return round(sum(len(b) for b in bodies) / (len(bodies) * per_request))
