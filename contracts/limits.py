"""The size budget: one set of limits that every hop from the SDK to ClickHouse can carry.

Each limit is enforced at exactly one place, and every later hop is configured with headroom over it,
so anything the gateway accepts travels raw -> enriched -> ClickHouse (a limit that held at the first
hop but not a later one would mean silent loss):

- `MAX_REQUEST_BYTES`: the gateway, on the request body before and after gzip decompression (413).
- `MAX_EVENT_BYTES`: the gateway, on each event as it will be written (its JSON encoding) (413, naming
  the event's index).
- `MAX_RECORD_BYTES`: the gateway refuses (413) an envelope whose encoding is over it; the enricher
  splits an enriched envelope over it into several records; the DLQ writer truncates to it; the alert
  aggregator bounds its window state under it. No Lynex producer writes a larger record value on any
  topic (raw, enriched, dlq, alerts).
- `KAFKA_MESSAGE_MAX_BYTES`: the broker's `message.max.bytes` and `replica.fetch.max.bytes`
  (scripts/kafka.sh, compose.yaml, the Helm chart), every topic's `max.message.bytes` (set by
  `core.kafka.ensure_topics`), producers' `max_request_size` (aiokafka and faust) and consumers' fetch
  sizes. It is headroom over `MAX_RECORD_BYTES` for the key, headers and record-batch overhead.
- `MAX_JSON_DEPTH`: the contract decoder (`contracts.codec`) and the management API's body decoder,
  both measuring with `contracts.depth` before msgspec parses (422).
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

MAX_REQUEST_BYTES = 5 * MIB
"""A request body, after gzip decompression."""

MAX_EVENT_BYTES = 4 * MIB + 512 * KIB
"""One event, JSON-encoded as the gateway writes it (stamped with its id, project and timestamp)."""

MAX_RECORD_BYTES = 6 * MIB
"""The largest Kafka record value Lynex produces on any topic; producers split or refuse above it."""

KAFKA_MESSAGE_MAX_BYTES = 8 * MIB
"""Broker, topic, producer request and consumer fetch limit: headroom over `MAX_RECORD_BYTES`."""

MAX_JSON_DEPTH = 64
"""Maximum nesting depth of a JSON request body (objects and arrays); deeper bodies get 422."""
