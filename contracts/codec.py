"""Encoders and decoders for the wire contract, built once and reused (msgspec's fast path).

Decoding a request never raises past this module: it returns the decoded events or a list of
`FieldError`s, each naming the event index and the JSON path of the bad field. Every failure counts:
invalid JSON or UTF-8, nesting deeper than `MAX_JSON_DEPTH` (checked before msgspec recurses), numbers
out of range, timestamps that cannot be converted to UTC, and invalid fields.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Annotated, Any

import msgspec

from contracts.depth import exceeds_depth
from contracts.events import MAX_BATCH_EVENTS, Event, EventBatch, RawEnvelope
from contracts.limits import MAX_JSON_DEPTH


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


# What msgspec raises on bytes it cannot take: DecodeError (ValidationError is a subclass), and
# UnicodeDecodeError (a ValueError) for invalid UTF-8 inside a string. RecursionError is kept out by
# the depth check that runs first; it is caught too so that no input can reach a 5xx.
DECODE_FAILURES = (msgspec.DecodeError, ValueError, RecursionError)
TOO_DEEP = f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels"


def split_error(exc: BaseException) -> tuple[str, str]:
    """(JSON path, message) of any decode failure; `$` when msgspec names no path. msgspec says "Expected `int`, got `str` - at `$.body.tokens`"; split message and path."""
    if isinstance(exc, UnicodeDecodeError):
        return "$", f"invalid JSON: not UTF-8 at byte {exc.start}"
    if isinstance(exc, RecursionError):
        return "$", TOO_DEEP
    text = str(exc)
    match = _PATH_RE.search(text)
    if match is None:
        path, message = "$", text
    else:
        path, message = match.group(1), text[: match.start()]
    if not isinstance(exc, msgspec.ValidationError):
        message = f"invalid JSON: {message}"
    return path, message


def _prefixed(path: str, prefix: str) -> str:
    return prefix + path[1:]


def decode_events(payload: bytes) -> tuple[list[Event], bool] | list[FieldError]:
    """Decode one event or `{"events": [...]}`; return (events, is_batch) or every error found.

    The whole payload is decoded in one typed pass first; only an invalid batch is decoded again
    event by event, so that the client learns about every bad event, not just the first.
    """
    payload = payload.lstrip(b" \t\r\n")
    if exceeds_depth(payload, MAX_JSON_DEPTH):
        return [FieldError(path="$", message=TOO_DEEP)]
    if payload[:1] != b"{":
        try:
            _any_decoder.decode(payload)
        except DECODE_FAILURES as exc:
            return [FieldError(path="$", message=split_error(exc)[1])]
        return [FieldError(path="$", message='expected a JSON object: one event or {"events": [...]}')]
    # An object with `type` is one event, else one with `events` is a batch. The first key decides on
    # the hot path; the full shape is looked at only when that guess fails to decode.
    if _is_batch(payload):
        decoded = _decode_batch(payload)
        if isinstance(decoded, list) and _shape(payload) == "event":
            decoded = _decode_event(payload)
    else:
        decoded = _decode_event(payload)
        if isinstance(decoded, list) and _shape(payload) == "batch":
            decoded = _decode_batch(payload)
    if isinstance(decoded, list):
        return decoded
    return _unrepresentable_times(*decoded) or decoded


def _decode_event(payload: bytes) -> tuple[list[Event], bool] | list[FieldError]:
    try:
        return [_event_decoder.decode(payload)], False
    except DECODE_FAILURES as exc:
        path, message = split_error(exc)
        return [FieldError(path=path, message=message)]


def _unrepresentable_times(events: list[Event], is_batch: bool) -> list[FieldError]:
    """A timestamp at the edge of the calendar whose offset pushes it outside it in UTC (year 1 at
    +01:00) decodes, but every later hop converts it to UTC and would fail on it: refuse it here."""
    errors: list[FieldError] = []
    for index, event in enumerate(events):
        ts = event.timestamp
        if ts is not None and ts.year in (1, 9999):
            try:
                ts.astimezone(UTC)
            except OverflowError:
                where = f"$.events[{index}].timestamp" if is_batch else "$.timestamp"
                message = "timestamp is outside the years 1-9999 once converted to UTC"
                errors.append(FieldError(path=where, message=message, index=index if is_batch else None))
    return errors


def _is_batch(payload: bytes) -> bool:
    # A single event always has a `type`; a batch has `events`. Checking the head avoids a
    # second full parse on the hot path.
    head = payload[:64].lstrip(b"{ \t\r\n")
    return head.startswith(b'"events"')


class _Shape(msgspec.Struct):
    # Raw: skipped, not decoded; an absent key stays empty (msgspec takes no union with Raw).
    type: msgspec.Raw = msgspec.Raw(b"")
    events: msgspec.Raw = msgspec.Raw(b"")


_shape_decoder = msgspec.json.Decoder(_Shape)


def _shape(payload: bytes) -> str:
    """ "event" (has `type`), "batch" (has `events` and no `type`) or "" (neither, or not decodable)."""
    try:
        shape = _shape_decoder.decode(payload)
    except DECODE_FAILURES:
        return ""
    if shape.type:
        return "event"
    return "batch" if shape.events else ""


def _decode_batch(payload: bytes) -> tuple[list[Event], bool] | list[FieldError]:
    try:
        return _batch_decoder.decode(payload).events, True
    except msgspec.ValidationError as exc:
        first = exc
    except DECODE_FAILURES as exc:
        return [FieldError(path="$", message=split_error(exc)[1])]
    try:
        loose = _loose_batch_decoder.decode(payload)
    except DECODE_FAILURES as exc:
        path, message = split_error(exc)
        return [FieldError(path=path, message=message)]
    errors: list[FieldError] = []
    for index, raw in enumerate(loose.events):
        try:
            _event_decoder.decode(raw)
        except DECODE_FAILURES as exc:
            path, message = split_error(exc)
            errors.append(
                FieldError(path=_prefixed(path, f"$.events[{index}]"), message=message, index=index)
            )
    if not errors:  # the batch as a whole was refused for a reason no single event shows
        path, message = split_error(first)
        errors.append(FieldError(path=path, message=message))
    return errors


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)


def decode_envelope(payload: bytes) -> RawEnvelope:
    """Decode a record of `events.raw`; raises msgspec.ValidationError/DecodeError if it is poison."""
    return _envelope_decoder.decode(payload)
