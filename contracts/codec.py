"""Encoders and decoders for the wire contract, built once and reused (msgspec's fast path).

Decoding a request never raises past this module: it returns the decoded events or a list of
`FieldError`s, each naming the event index and the JSON path of the bad field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from contracts.events import MAX_BATCH_EVENTS, Event, EventBatch, RawEnvelope


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field: `index` is the event's position in the batch (None for a single event)."""

    path: str
    message: str
    index: int | None = None


class _LooseBatch(msgspec.Struct):
    events: Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1, max_length=MAX_BATCH_EVENTS)]


_event_decoder = msgspec.json.Decoder(Event)
_batch_decoder = msgspec.json.Decoder(EventBatch)
_loose_batch_decoder = msgspec.json.Decoder(_LooseBatch)
_any_decoder = msgspec.json.Decoder()
_envelope_decoder = msgspec.json.Decoder(RawEnvelope)
_encoder = msgspec.json.Encoder()

_PATH_RE = re.compile(r" - at `(\$[^`]*)`$")


def _split_error(exc: msgspec.ValidationError | msgspec.DecodeError) -> tuple[str, str]:
    """msgspec says "Expected `int`, got `str` - at `$.body.tokens`"; split message and path."""
    text = str(exc)
    match = _PATH_RE.search(text)
    if match is None:
        return "$", text
    return match.group(1), text[: match.start()]


def _prefixed(path: str, prefix: str) -> str:
    return prefix + path[1:]


def decode_events(payload: bytes) -> tuple[list[Event], bool] | list[FieldError]:
    """Decode one event or `{"events": [...]}`; return (events, is_batch) or every error found.

    The whole payload is decoded in one typed pass first; only an invalid batch is decoded again
    event by event, so that the client learns about every bad event, not just the first.
    """
    payload = payload.lstrip(b" \t\r\n")
    if payload[:1] != b"{":
        try:
            _any_decoder.decode(payload)
        except msgspec.DecodeError as exc:
            return [FieldError(path="$", message=f"invalid JSON: {exc}")]
        return [FieldError(path="$", message='expected a JSON object: one event or {"events": [...]}')]
    if _is_batch(payload):
        return _decode_batch(payload)
    try:
        return [_event_decoder.decode(payload)], False
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        path, message = _split_error(exc)
        if isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
            message = f"invalid JSON: {message}"
        return [FieldError(path=path, message=message)]


def _is_batch(payload: bytes) -> bool:
    # A single event always has a `type`; a batch has `events`. Checking the head avoids a
    # second full parse on the hot path.
    head = payload[:64].lstrip(b"{ \t\r\n")
    return head.startswith(b'"events"')


def _decode_batch(payload: bytes) -> tuple[list[Event], bool] | list[FieldError]:
    try:
        return _batch_decoder.decode(payload).events, True
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        return [FieldError(path="$", message=f"invalid JSON: {exc}")]
    try:
        loose = _loose_batch_decoder.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        path, message = _split_error(exc)
        return [FieldError(path=path, message=message)]
    errors: list[FieldError] = []
    for index, raw in enumerate(loose.events):
        try:
            _event_decoder.decode(raw)
        except msgspec.ValidationError as exc:
            path, message = _split_error(exc)
            errors.append(
                FieldError(path=_prefixed(path, f"$.events[{index}]"), message=message, index=index)
            )
    return errors


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)


def decode_envelope(payload: bytes) -> RawEnvelope:
    """Decode a record of `events.raw`; raises msgspec.ValidationError/DecodeError if it is poison."""
    return _envelope_decoder.decode(payload)
