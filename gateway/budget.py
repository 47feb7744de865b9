"""The size budget at the gateway: what it would write is measured before anything is written.

A request already fits `MAX_REQUEST_BYTES` (gateway.body). What reaches Kafka is the envelope the gateway
encodes, which can be larger than the request (stamped ids and timestamps; `1e9` is written as
`1000000000.0`), so both limits below are measured on the encoded bytes, not on what the client sent.
An envelope over `MAX_RECORD_BYTES` is refused rather than split: it only happens to a request that is
nearly all expansion, a client can send fewer events per request, and one record per request keeps a
batch all-or-nothing on the topic.
"""

from __future__ import annotations

from contracts.codec import FieldError, encode
from contracts.events import RawEnvelope
from contracts.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES
from gateway.errors import PayloadTooLarge


def check_budget(envelope: RawEnvelope, value: bytes, is_batch: bool) -> None:
    """Raise PayloadTooLarge naming each event over `MAX_EVENT_BYTES`, or the envelope over the record size."""
    # No event is larger than the envelope holding it: the common case costs one comparison.
    if len(value) > MAX_EVENT_BYTES:
        too_large = [
            FieldError(
                path=f"$.events[{index}]" if is_batch else "$",
                message=f"event is {size} bytes as written, over the {MAX_EVENT_BYTES}-byte event limit",
                index=index if is_batch else None,
            )
            for index, size in enumerate(len(encode(event)) for event in envelope.events)
            if size > MAX_EVENT_BYTES
        ]
        if too_large:
            which = ", ".join(str(e.index) for e in too_large[:10]) if is_batch else "the event"
            raise PayloadTooLarge(
                f"{len(too_large)} event(s) over {MAX_EVENT_BYTES} bytes as written ({which}); nothing was accepted",
                errors=too_large,
            )
    if len(value) > MAX_RECORD_BYTES:
        raise PayloadTooLarge(
            f"the request is {len(value)} bytes as written, over the {MAX_RECORD_BYTES}-byte record limit: "
            "send fewer events per request; nothing was accepted"
        )
