"""The catalogue of every Prometheus metric Lynex exports, one class per service.

Each process builds one `CollectorRegistry` at start-up and passes it down; nothing registers on
the global default registry, so tests can build as many apps as they like.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events_accepted = Counter(
            "lynex_gateway_events_accepted",
            "Events acknowledged by Kafka and answered 202.",
            registry=registry,
        )
        # Per project (projects are created by users, not clients: the label set stays small).
        self.events_accepted_by_project = Counter(
            "lynex_gateway_events_accepted_by_project",
            "Events acknowledged by Kafka and answered 202, by project.",
            ["project"],
            registry=registry,
        )
        self.requests_rejected = Counter(
            "lynex_gateway_requests_rejected",
            "Requests refused, by reason (invalid_events, unauthorized, forbidden, unavailable...).",
            ["reason"],
            registry=registry,
        )
        self.produce_latency = Histogram(
            "lynex_gateway_produce_latency_seconds",
            "Time from handing a request's record to Kafka to its acknowledgement.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "lynex_gateway_batch_size_events",
            "Events per accepted request.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.inflight_requests = Gauge(
            "lynex_gateway_inflight_requests", "Requests waiting for Kafka right now.", registry=registry
        )
        self.inflight_events = Gauge(
            "lynex_gateway_inflight_events", "Events waiting for Kafka right now.", registry=registry
        )
        self.inflight_limit = Gauge(
            "lynex_gateway_inflight_limit",
            "The caps beyond which the gateway sheds load with 503.",
            ["kind"],
            registry=registry,
        )
        self.key_cache_lookups = Counter(
            "lynex_gateway_key_cache_lookups",
            "API key lookups, by result (hit, miss).",
            ["result"],
            registry=registry,
        )


class StreamsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events_enriched = Counter(
            "lynex_streams_events_enriched",
            "Events enriched and written to events.enriched.",
            registry=registry,
        )
        self.unknown_model = Counter(
            "lynex_streams_unknown_model_events",
            "LLM events whose model has no price (no cost stored). No model label: ids come from clients.",
            registry=registry,
        )
        self.timestamps_adjusted = Counter(
            "lynex_streams_timestamps_adjusted_events",
            "Events whose timestamp was too far in the future or past and was replaced by the receive time.",
            registry=registry,
        )
        self.dead_lettered = Counter(
            "lynex_streams_dead_lettered_records",
            "Records sent to the DLQ, by stage.",
            ["stage"],
            registry=registry,
        )
        self.rows_inserted = Counter(
            "lynex_streams_sink_rows_inserted", "Rows inserted into ClickHouse events.", registry=registry
        )
        self.duplicates_dropped = Counter(
            "lynex_streams_sink_duplicates_dropped",
            "Rows not inserted because their event id was already stored or repeated in the batch.",
            registry=registry,
        )
        self.insert_seconds = Histogram(
            "lynex_streams_sink_insert_seconds",
            "Duration of one ClickHouse batch insert (dedup check included).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_rows = Histogram(
            "lynex_streams_sink_batch_rows",
            "Rows per sink batch.",
            buckets=(1, 10, 100, 1000, 5000, 10000, 50000),
            registry=registry,
        )
        self.insert_retries = Counter(
            "lynex_streams_sink_insert_retries",
            "Insert attempts that failed transiently (ClickHouse unavailable) and were retried.",
            registry=registry,
        )
        # Per project, for the accounting: what happened to each project's events after the gateway
        # (projects are created by users, not clients: the label set stays small).
        self.events_stored_by_project = Counter(
            "lynex_streams_events_stored_by_project",
            "Events inserted into ClickHouse, by project (the sink counts with count_stored).",
            ["project"],
            registry=registry,
        )
        self.dead_lettered_by_project = Counter(
            "lynex_streams_dead_lettered_by_project",
            "Events in records the dead-letter recorder stored, by project and stage (undecodable: 0).",
            ["project", "stage"],
            registry=registry,
        )
        self.dead_letter_records_recorded = Counter(
            "lynex_streams_dead_letter_records_recorded",
            "DLQ records the dead-letter recorder wrote to ClickHouse dead_letters, by project and stage.",
            ["project", "stage"],
            registry=registry,
        )

    def count_stored(self, project_ids: Iterable[str]) -> None:
        """Count inserted rows by project: the sink passes each inserted row's project id."""
        for project, n in Tally(project_ids).items():
            self.events_stored_by_project.labels(project).inc(n)


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.rules = Gauge(
            "lynex_streams_alert_rules", "Enabled alert rules this worker evaluates.", registry=registry
        )
        self.evaluations = Counter(
            "lynex_streams_alert_evaluations", "Alert rule evaluations.", registry=registry
        )
        self.notices = Counter(
            "lynex_streams_alert_notices",
            "Alert notifications decided, by state (fired, resolved).",
            ["state"],
            registry=registry,
        )
        self.deliveries = Counter(
            "lynex_streams_alert_deliveries",
            "Alert deliveries to one channel, by outcome (ok, failed) after retries.",
            ["outcome"],
            registry=registry,
        )
        self.delivery_seconds = Histogram(
            "lynex_streams_alert_delivery_seconds",
            "Time to deliver one alert to one channel, retries included.",
            buckets=(*LATENCY_BUCKETS, 10.0, 30.0, 60.0),
            registry=registry,
        )


class WorkerMetrics:
    """Background workers of any role (core.supervise): one set per process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.restarts = Counter(
            "lynex_worker_restarts",
            "Deaths of a background worker (raised or exited), each followed by a restart with backoff.",
            ["worker"],
            registry=registry,
        )
        self.up = Gauge(
            "lynex_worker_up",
            "1 while the worker runs, 0 while it is dead or waiting to be restarted.",
            ["worker"],
            registry=registry,
        )
