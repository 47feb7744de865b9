"""Stream processing: enrich, cost, sink, alerts."""
