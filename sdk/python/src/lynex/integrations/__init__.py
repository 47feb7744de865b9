"""Auto-instrumentation of LLM clients: `instrument(client)` patches the OpenAI and Anthropic clients
so that their calls are captured into `client` without user code. A library not imported yet is
patched when the application imports it (importing one here would cost seconds of start-up)."""

from __future__ import annotations

from typing import Any

from lynex.integrations import anthropic as _anthropic
from lynex.integrations import openai as _openai
from lynex.integrations.calls import _target, unpatch_all
from lynex.integrations.hooks import cancel_all, when_imported

_PROVIDERS = {"openai": _openai.instrument, "anthropic": _anthropic.instrument}


def instrument(client: Any) -> None:
    """Send instrumented calls to `client` (the last one given wins)."""
    _target["client"] = client
    for module, patch in _PROVIDERS.items():
        when_imported(module, patch)


def uninstrument() -> None:
    """Restore the original client methods, forget pending patches and stop capturing."""
    cancel_all()
    unpatch_all()
    _target["client"] = None
