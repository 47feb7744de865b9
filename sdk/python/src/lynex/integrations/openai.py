"""OpenAI Python client: chat completions (`create`, `parse`, `stream`) and responses (`create`).

Sync and async, streamed or not. A streamed chat completion reports tokens only if the request asked
for them (`stream_options={"include_usage": True}`): the SDK does not change the request, because
that would add a chunk without choices to the application's stream.
"""

from __future__ import annotations

from typing import Any

from lynex.integrations.calls import Accumulator, Adapter, async_wrapper, patch, sync_wrapper

_CHAT_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "reasoning_effort",
    "service_tier",
    "stream",
)
_RESPONSES_PARAMS = ("temperature", "top_p", "max_output_tokens", "reasoning", "service_tier", "stream")


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _chat_tokens(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    tokens = {"input": _get(usage, "prompt_tokens") or 0, "output": _get(usage, "completion_tokens") or 0}
    cached = _get(_get(usage, "prompt_tokens_details"), "cached_tokens")
    reasoning = _get(_get(usage, "completion_tokens_details"), "reasoning_tokens")
    if cached is not None:
        tokens["cached"] = cached
    if reasoning is not None:
        tokens["reasoning"] = reasoning
    return tokens


def _responses_tokens(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    tokens = {"input": _get(usage, "input_tokens") or 0, "output": _get(usage, "output_tokens") or 0}
    cached = _get(_get(usage, "input_tokens_details"), "cached_tokens")
    reasoning = _get(_get(usage, "output_tokens_details"), "reasoning_tokens")
    if cached is not None:
        tokens["cached"] = cached
    if reasoning is not None:
        tokens["reasoning"] = reasoning
    return tokens


class ChatAdapter(Adapter):
    provider = "openai"
    param_keys = _CHAT_PARAMS

    def prompt(self, kwargs: dict[str, Any]) -> Any:
        messages = kwargs.get("messages")
        return list(messages) if isinstance(messages, (list, tuple)) else None

    def read(self, result: Any) -> tuple[str | None, Any, dict[str, int] | None]:
        choices = getattr(result, "choices", None) or []
        message = getattr(choices[0], "message", None) if choices else None
        return getattr(result, "model", None), message, _chat_tokens(getattr(result, "usage", None))

    def accumulator(self) -> Accumulator:
        return ChatAccumulator()


class ChatAccumulator(Accumulator):
    def add(self, chunk: Any) -> None:
        self.model = self.model or getattr(chunk, "model", None)
        for choice in getattr(chunk, "choices", None) or []:
            if getattr(choice, "index", 0) == 0:
                content = getattr(getattr(choice, "delta", None), "content", None)
                if content:
                    self.text.append(content)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.tokens = _chat_tokens(usage)


class ResponsesAdapter(Adapter):
    provider = "openai"
    param_keys = _RESPONSES_PARAMS

    def prompt(self, kwargs: dict[str, Any]) -> Any:
        items = kwargs.get("input")
        instructions = kwargs.get("instructions")
        system = [{"role": "system", "content": instructions}] if isinstance(instructions, str) else []
        if isinstance(items, str):
            return [*system, {"role": "user", "content": items}] if system else items
        if isinstance(items, (list, tuple)):
            return system + list(items)
        return system or None

    def read(self, result: Any) -> tuple[str | None, Any, dict[str, int] | None]:
        text = getattr(result, "output_text", None)
        return getattr(result, "model", None), text, _responses_tokens(getattr(result, "usage", None))

    def accumulator(self) -> Accumulator:
        return ResponsesAccumulator()


class ResponsesAccumulator(Accumulator):
    def add(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            self.text.append(getattr(event, "delta", "") or "")
        elif kind in ("response.created", "response.completed", "response.incomplete", "response.failed"):
            response = getattr(event, "response", None)
            self.model = getattr(response, "model", None) or self.model
            usage = getattr(response, "usage", None)
            if usage is not None:
                self.tokens = _responses_tokens(usage)
            error = getattr(response, "error", None)
            if kind == "response.failed" and error is not None:
                self.error = {
                    "type": str(getattr(error, "code", None) or "ResponseFailed"),
                    "message": str(getattr(error, "message", "")),
                }
        elif kind == "error":
            self.error = {
                "type": str(getattr(event, "code", None) or "StreamError"),
                "message": str(getattr(event, "message", "")),
            }

    def response(self) -> Any:
        return "".join(self.text) if self.text else None


def instrument() -> bool:
    """Patch the installed `openai` package; False if it is not installed."""
    try:
        from openai.resources.chat.completions import completions as chat  # noqa: PLC0415
    except ImportError:
        return False
    chat_adapter = ChatAdapter()
    for name in ("create", "parse"):
        patch(chat.Completions, name, lambda original: sync_wrapper(original, chat_adapter))
        patch(chat.AsyncCompletions, name, lambda original: async_wrapper(original, chat_adapter))
    try:
        from openai.resources.responses import responses  # noqa: PLC0415
    except ImportError:  # an older client without the Responses API
        return True
    responses_adapter = ResponsesAdapter()
    patch(responses.Responses, "create", lambda original: sync_wrapper(original, responses_adapter))
    patch(responses.AsyncResponses, "create", lambda original: async_wrapper(original, responses_adapter))
    return True
