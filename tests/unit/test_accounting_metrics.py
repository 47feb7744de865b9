"""The per-project counters the accounting exports on /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from core.metrics import StreamsMetrics


def test_count_stored_tallies_rows_per_project() -> None:
    registry = CollectorRegistry()
    metrics = StreamsMetrics(registry)
    metrics.count_stored(["a", "b", "a", "a"])
    metrics.count_stored(iter(["b"]))
    metrics.count_stored([])
    sample = registry.get_sample_value
    assert sample("lynex_streams_events_stored_by_project_total", {"project": "a"}) == 3
    assert sample("lynex_streams_events_stored_by_project_total", {"project": "b"}) == 2
