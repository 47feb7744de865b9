"""The peer: a minimal FastAPI + pydantic v2 ingest endpoint, the stack the original plan named.

It does what the Lynex gateway does per request, written the idiomatic FastAPI way: an API-key check
(an in-memory lookup, like a warm key cache), `model_validate` of every event against pydantic models
equivalent to the contract's essentials (a discriminated union; llm_call in full: nested tokens, chat
messages, error, params, trace ids; bounded strings), the key's project stamped, and the request's
events produced as one Kafka record with aiokafka (acks=all, idempotent, zstd), answered 202 only
after the ack. Run: `uvicorn --factory bench.peer_fastapi:from_environment` with BENCH_PEER_* set.
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

Name = Annotated[str, Field(min_length=1, max_length=256)]
Id = Annotated[str, Field(min_length=1, max_length=128)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000_000)]


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class SdkInfo(Wire):
    name: Name
    version: Annotated[str, Field(max_length=64)] = ""


class Context(Wire):
    env: Annotated[str, Field(max_length=64)] | None = None
    user_id: Annotated[str, Field(max_length=256)] | None = None
    session_id: Annotated[str, Field(max_length=256)] | None = None
    release: Annotated[str, Field(max_length=128)] | None = None
    tags: dict[str, Annotated[str, Field(max_length=256)]] = {}
    attributes: dict[str, Any] = {}


class Tokens(Wire):
    input: Count = 0
    output: Count = 0
    cached: Count | None = None
    reasoning: Count | None = None


class ChatMessage(Wire):
    role: Annotated[str, Field(min_length=1, max_length=64)]
    content: str | list[Any] | None = None
    name: Annotated[str, Field(max_length=256)] | None = None
    tool_calls: list[Any] | None = None


class ErrorInfo(Wire):
    type: Name
    message: str = ""


class LlmCallBody(Wire):
    model: Name
    provider: Name | None = None
    prompt: str | list[ChatMessage] | None = None
    response: str | ChatMessage | list[ChatMessage] | None = None
    tokens: Tokens = Tokens()
    latency_ms: Annotated[float, Field(ge=0)] | None = None
    status: Literal["ok", "error"] = "ok"
    error: ErrorInfo | None = None
    params: dict[str, Any] | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None
    trace_id: Id | None = None
    span_id: Id | None = None
    parent_span_id: Id | None = None


class LogBody(Wire):
    level: Literal["trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"]
    message: str
    attributes: dict[str, Any] | None = None


class EventBase(Wire):
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    project_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    timestamp: AwareDatetime | None = None
    sdk: SdkInfo | None = None
    context: Context | None = None


class LlmCallEvent(EventBase):
    type: Literal["llm_call"]
    body: LlmCallBody


class LogEvent(EventBase):
    type: Literal["log"]
    body: LogBody


class CustomEvent(EventBase):
    type: Literal["custom"]
    body: dict[str, Any]


Event = Annotated[LlmCallEvent | LogEvent | CustomEvent, Field(discriminator="type")]
event_adapter: TypeAdapter[LlmCallEvent | LogEvent | CustomEvent] = TypeAdapter(Event)


class Envelope(Wire):
    project_id: str
    key_id: str
    received_at: datetime
    events: list[Event]
    v: int = 1


def create_app(bootstrap: str, topic: str, keys: dict[str, str]) -> FastAPI:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        compression_type="zstd",
        linger_ms=2,
        max_request_size=8 * 1024 * 1024,
        # The same batch size as Lynex's producer (core/kafka.py): the comparison is of the HTTP and
        # validation stacks, not of a Kafka client setting either side could use.
        max_batch_size=1024 * 1024,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        await producer.start()
        yield
        await producer.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.post("/api/v1/events", status_code=202)
    async def ingest(request: Request) -> Response:
        project = keys.get(request.headers.get("x-api-key", ""))
        if project is None:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        try:
            payload = json.loads(await request.body())
        except ValueError as exc:
            return JSONResponse({"error": f"invalid JSON: {exc}"}, status_code=422)
        is_batch = isinstance(payload, dict) and "events" in payload
        raw_events = payload["events"] if is_batch else [payload]
        if not isinstance(raw_events, list) or not 1 <= len(raw_events) <= 1000:
            return JSONResponse({"error": "events: 1 to 1000"}, status_code=422)
        received_at = datetime.now(UTC)
        events = []
        errors = []
        for index, raw in enumerate(raw_events):
            try:
                event = event_adapter.validate_python(raw)
            except ValidationError as exc:
                errors += [{"index": index, "path": e["loc"], "message": e["msg"]} for e in exc.errors()]
                continue
            if event.project_id not in (None, project):
                return JSONResponse({"error": "not this key's project"}, status_code=403)
            if event.project_id is None or event.timestamp is None:
                event = event.model_copy(
                    update={"project_id": project, "timestamp": event.timestamp or received_at}
                )
            events.append(event)
        if errors:
            return JSONResponse({"errors": errors}, status_code=422)
        envelope = Envelope(project_id=project, key_id="peer", received_at=received_at, events=events)
        value = envelope.model_dump_json(by_alias=True, exclude_none=True).encode()
        await (await producer.send(topic, value=value, key=project.encode()))
        ids = [str(e.event_id) for e in events]
        if is_batch:
            return JSONResponse({"status": "queued", "accepted": len(ids), "eventIds": ids}, status_code=202)
        return JSONResponse({"status": "queued", "eventId": ids[0]}, status_code=202)

    return app


def from_environment() -> FastAPI:
    """`uvicorn --factory bench.peer_fastapi:from_environment`."""
    return create_app(
        os.environ.get("BENCH_PEER_BOOTSTRAP", "127.0.0.1:9092"),
        os.environ.get("BENCH_PEER_TOPIC", "bench.peer.events.raw"),
        {
            os.environ.get("BENCH_PEER_API_KEY", "sk_live_bench"): os.environ.get(
                "BENCH_PEER_PROJECT", "bench"
            )
        },
    )
