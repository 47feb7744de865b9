"""Accepting a request: validate, attribute to the key's project, shed load, write, acknowledge."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from contracts.codec import FieldError, decode_events, encode
from contracts.events import Event, RawEnvelope
from core.control.store import KeyIdentity
from core.metrics import GatewayMetrics
from gateway.budget import check_budget
from gateway.errors import Forbidden, InvalidEvents, RateLimited, Unavailable
from gateway.ratelimit import Decision, RateLimiter
from gateway.sink import EventSink, SinkUnavailable
from gateway.usage import KeyUsage


class Queued(msgspec.Struct, rename="camel"):
    status: str
    event_id: str


class QueuedBatch(msgspec.Struct, rename="camel"):
    status: str
    accepted: int
    event_ids: list[str]


class Ingestor:
    def __init__(
        self,
        sink: EventSink,
        metrics: GatewayMetrics,
        max_inflight_requests: int,
        max_inflight_events: int,
        *,
        limiter: RateLimiter | None = None,
        usage: KeyUsage | None = None,
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self.limiter = limiter or RateLimiter(0, 1)
        self.usage = usage
        self.max_inflight_requests = max_inflight_requests
        self.max_inflight_events = max_inflight_events
        self.inflight_requests = 0
        self.inflight_events = 0
        metrics.inflight_limit.labels("requests").set(max_inflight_requests)
        metrics.inflight_limit.labels("events").set(max_inflight_events)

    async def ingest(self, identity: KeyIdentity, payload: bytes) -> tuple[Queued | QueuedBatch, Decision]:
        """Accept a request's events; the rate-limit decision comes back for the response headers."""
        decoded = decode_events(payload)
        if isinstance(decoded, list):
            raise InvalidEvents(decoded)
        events, is_batch = decoded
        received_at = datetime.now(UTC)
        stamped = _attribute(events, identity.project_id, received_at)
        envelope = RawEnvelope(
            project_id=identity.project_id, key_id=identity.key_id, received_at=received_at, events=stamped
        )
        value = encode(envelope)
        check_budget(envelope, value, is_batch)
        decision = self.limiter.take(identity.key_id, len(stamped), identity.rate_per_s, identity.burst)
        if not decision.allowed:
            raise RateLimited(
                f"over the rate limit of {decision.limit:g} events/s for this key",
                retry_after=decision.retry_after_s,
                limit=decision.limit,
            )
        await self._write(envelope.project_id.encode(), value, len(stamped))
        self.metrics.events_accepted.inc(len(stamped))
        self.metrics.events_accepted_by_project.labels(identity.project_id).inc(len(stamped))
        self.metrics.batch_size.observe(len(stamped))
        if self.usage is not None:
            self.usage.record(identity, len(stamped), received_at)
        if not is_batch:
            return Queued(status="queued", event_id=str(stamped[0].event_id)), decision
        ids = [str(e.event_id) for e in stamped]
        return QueuedBatch(status="queued", accepted=len(stamped), event_ids=ids), decision

    async def _write(self, key: bytes, value: bytes, n: int) -> None:
        if (
            self.inflight_requests >= self.max_inflight_requests
            or self.inflight_events + n > self.max_inflight_events
        ):
            self.metrics.requests_rejected.labels("shed").inc()
            raise Unavailable("gateway overloaded: too much work waiting for Kafka", retry_after=1)
        self.inflight_requests += 1
        self.inflight_events += n
        self.metrics.inflight_requests.inc()
        self.metrics.inflight_events.inc(n)
        try:
            with self.metrics.produce_latency.time():
                await self.sink.send(key, value)
        except SinkUnavailable as exc:
            raise Unavailable(str(exc), retry_after=2) from exc
        finally:
            self.inflight_requests -= 1
            self.inflight_events -= n
            self.metrics.inflight_requests.dec()
            self.metrics.inflight_events.dec(n)


def _attribute(events: list[Event], project_id: str, received_at: datetime) -> list[Event]:
    """Fill in the key's project and a missing timestamp; an event for another project is refused."""
    out: list[Event] = []
    foreign: list[FieldError] = []
    for index, event in enumerate(events):
        if event.project_id is not None and event.project_id != project_id:
            foreign.append(FieldError(path=f"$.events[{index}].projectId", message="not this key's project"))
            continue
        if event.project_id is None or event.timestamp is None:
            out.append(
                msgspec.structs.replace(
                    event, project_id=project_id, timestamp=event.timestamp or received_at
                )
            )
        else:
            out.append(event)
    if foreign:
        paths = ", ".join(e.path for e in foreign[:5])
        raise Forbidden(f"{len(foreign)} event(s) name a project this API key does not belong to: {paths}")
    return out
