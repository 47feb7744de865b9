"""HTTP routes of the gateway role."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, post
from litestar.exceptions import ClientException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation

from contracts.codec import encode
from contracts.limits import MAX_EVENT_BYTES, MAX_JSON_DEPTH, MAX_RECORD_BYTES, MAX_REQUEST_BYTES
from contracts.schema import generate, inlined
from gateway.auth import GatewayKeys, extract_key
from gateway.body import decode_body
from gateway.errors import ErrorBody, PayloadTooLarge
from gateway.ingest import Ingestor, Queued, QueuedBatch

_ERRORS = {
    400: ResponseSpec(ErrorBody, description="A corrupt or truncated gzip body."),
    401: ResponseSpec(ErrorBody, description="No API key."),
    403: ResponseSpec(ErrorBody, description="Unknown or revoked key, or an event for another project."),
    413: ResponseSpec(
        ErrorBody,
        description=(
            f"Over the size budget: the body over {MAX_REQUEST_BYTES} bytes before or after gzip "
            f"decompression, an event over {MAX_EVENT_BYTES} bytes as written (`errors` names its index), "
            f"or the request over {MAX_RECORD_BYTES} bytes as written. Nothing was written."
        ),
    ),
    415: ResponseSpec(ErrorBody, description="A Content-Encoding other than gzip."),
    422: ResponseSpec(
        ErrorBody,
        description=(
            "Invalid JSON (also invalid UTF-8, numbers out of range, nesting deeper than "
            f"{MAX_JSON_DEPTH} levels) or invalid events: index and JSON path of each bad field."
        ),
    ),
    429: ResponseSpec(ErrorBody, description="Over the key's rate limit; see Retry-After."),
    503: ResponseSpec(ErrorBody, description="Kafka unavailable or gateway overloaded; see Retry-After."),
}


class _EventBodyOperation(Operation):
    """Declares the event contract as the request body: the route reads the raw body itself (gzip, the
    size budget, one error mapping), so Litestar cannot see its type, and without this the published
    schema would say the route takes no body; clients and fuzzers could not know what to send."""

    def to_schema(self) -> dict[str, Any]:
        document = super().to_schema()
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
        return document


_BODY_SCHEMA = inlined(generate())


def build_routes(keys: GatewayKeys, ingestor: Ingestor, max_body_bytes: int) -> list[object]:
    @post(
        "/api/v1/events",
        status_code=202,
        summary="Ingest one event or a batch of up to 1,000",
        description=(
            'Body: one event, or {"events": [...]}; schema at contracts/schema/event.v1.json. '
            "Content-Encoding: gzip accepted. A batch is all-or-nothing: one invalid event rejects it "
            "with 422 and nothing is written. 202 is sent only after Kafka acknowledged (acks=all)."
        ),
        responses={
            202: ResponseSpec(
                Queued | QueuedBatch,  # type: ignore[arg-type]  # Litestar documents a union as oneOf
                description="Queued: durable in Kafka (`eventId` for one event, `eventIds` for a batch).",
            ),
            **_ERRORS,
        },
        tags=["ingest"],
        security=[{"apiKey": []}],
        operation_class=_EventBodyOperation,
    )
    async def ingest_events(request: Request[Any, Any, Any]) -> Response[bytes]:
        secret = extract_key(request.headers)
        identity = await keys.authenticate(secret)
        try:
            raw = await request.body()
        except ClientException as exc:
            if exc.status_code == 413:
                raise PayloadTooLarge(f"request body is over {max_body_bytes} bytes") from exc
            raise
        payload = decode_body(raw, request.headers.get("content-encoding"), max_body_bytes)
        result, limit = await ingestor.ingest(identity, payload)
        headers: dict[str, str] = {}
        if limit.limit:
            headers = {
                "X-RateLimit-Limit": f"{limit.limit:g}",
                "X-RateLimit-Remaining": str(limit.remaining),
            }
        return Response(encode(result), status_code=202, media_type=MediaType.JSON, headers=headers)

    return [ingest_events]
