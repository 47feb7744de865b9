"""A local HTTP server that answers like the OpenAI and Anthropic APIs (JSON and server-sent events),
so that the real `openai` and `anthropic` clients can be instrumented and tested without a network.

The requested model picks the behaviour: `...-429`, `...-500` answer that error."""

from __future__ import annotations

import json
from typing import Any

from tests.sdk.support import LocalServer, QuietHandler

OPENAI_MODEL = "gpt-4o-mini-2024-07-18"
ANTHROPIC_MODEL = "claude-test-20990101"
RESPONSES_MODEL = "gpt-4.1-mini-2025-04-14"


def _chat_completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": OPENAI_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Paris.", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 21,
            "completion_tokens": 2,
            "total_tokens": 23,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def _chat_chunks(include_usage: bool) -> list[tuple[str | None, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-2",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": OPENAI_MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    chunks: list[tuple[str | None, Any]] = [
        (None, chunk({"role": "assistant", "content": ""})),
        (None, chunk({"content": "Hel"})),
        (None, chunk({"content": "lo!"})),
        (None, chunk({}, "stop")),
    ]
    if include_usage:
        usage = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
        chunks.append((None, {**chunk({}), "choices": [], "usage": usage}))
    chunks.append((None, "[DONE]"))
    return chunks


def _response(status: str = "completed") -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "model": RESPONSES_MODEL,
        "status": status,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Bonjour", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 11,
            "output_tokens": 4,
            "total_tokens": 15,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 2},
        },
    }


def _response_events() -> list[tuple[str | None, Any]]:
    created = {**_response("in_progress"), "output": [], "usage": None}
    return [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": created}),
        *[
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "sequence_number": i + 1,
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": part,
                    "logprobs": [],
                },
            )
            for i, part in enumerate(["Bon", "jour"])
        ],
        ("response.completed", {"type": "response.completed", "sequence_number": 3, "response": _response()}),
    ]


def _message() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": "Bonjour!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 30,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }


def _message_events() -> list[tuple[str | None, Any]]:
    start = {
        **_message(),
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 8},
    }
    return [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        *[
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}},
            )
            for t in ["Hello", " there"]
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 7},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


class FakeProviders(LocalServer):
    """`with FakeProviders() as fake:` then `base_url=fake.url + "/v1"` (OpenAI) or `fake.url`
    (Anthropic). `fake.requests` keeps every request body."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        providers = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer at once, not after the client's delayed ACK

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                providers.requests.append(body)
                model = str(body.get("model", ""))
                stream = body.get("stream") is True
                for code in (429, 500, 529):
                    if model.endswith(f"-{code}"):
                        return self._error(code)
                if self.path == "/v1/chat/completions":
                    if stream:
                        options = body.get("stream_options") or {}
                        return self._sse(_chat_chunks(bool(options.get("include_usage"))))
                    return self._json(_chat_completion())
                if self.path == "/v1/responses":
                    return self._sse(_response_events()) if stream else self._json(_response())
                if self.path == "/v1/messages":
                    return self._sse(_message_events()) if stream else self._json(_message())
                return self._error(404)

            def _json(self, payload: Any, status: int = 200) -> None:
                self.send_body(status, json.dumps(payload).encode(), "application/json")

            def _error(self, status: int) -> None:
                error = {"message": f"scripted {status}", "type": "rate_limit_error", "code": None}
                self._json({"type": "error", "error": error}, status)

            def _sse(self, events: list[tuple[str | None, Any]]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for name, data in events:
                    text = data if isinstance(data, str) else json.dumps(data)
                    frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
                    self.wfile.write(frame.encode())
                    self.wfile.flush()
                self.close_connection = True

        super().__init__(Handler)
