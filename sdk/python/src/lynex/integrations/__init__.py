"""Auto-instrumentation of LLM clients: `instrument(client)` patches the OpenAI and Anthropic clients
(whichever are installed) so that their calls are captured into `client` without user code."""

from __future__ import annotations

from typing import Any

from lynex.integrations import anthropic as _anthropic
from lynex.integrations import openai as _openai
from lynex.integrations.calls import _target, unpatch_all


def instrument(client: Any) -> list[str]:
    """Send instrumented calls to `client` (the last one given wins); returns the providers patched."""
    _target["client"] = client
    patched = []
    if _openai.instrument():
        patched.append("openai")
    if _anthropic.instrument():
        patched.append("anthropic")
    return patched


def uninstrument() -> None:
    """Restore the original client methods and stop capturing."""
    unpatch_all()
    _target["client"] = None
