-- Every event, one row each, typed columns for what dashboards filter and aggregate on.
-- Deduplication: the sink drops ids already stored (project-keyed partitions make that race-free),
-- inserts carry a deduplication token derived from the batch's Kafka offsets, and
-- ReplacingMergeTree collapses any remaining duplicate (same project, timestamp, event id) on merge.
CREATE TABLE IF NOT EXISTS events
(
    project_id        LowCardinality(String),
    event_id          UUID,
    type              LowCardinality(String),
    timestamp         DateTime64(3, 'UTC'),
    received_at       DateTime64(3, 'UTC'),
    timestamp_adjusted UInt8,
    key_id            LowCardinality(String),
    model             LowCardinality(String),
    provider          LowCardinality(String),
    input_tokens      UInt64,
    output_tokens     UInt64,
    cached_tokens     UInt64,
    reasoning_tokens  UInt64,
    cost_usd          Nullable(Float64),
    cost_source       LowCardinality(String),
    latency_ms        Nullable(Float64),
    status            LowCardinality(String),
    error_type        String,
    level             LowCardinality(String),
    trace_id          String,
    span_id           String,
    parent_span_id    String,
    env               LowCardinality(String),
    user_id           String,
    session_id        String,
    release           LowCardinality(String),
    sdk               LowCardinality(String),
    context           String,
    body              String,
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_model model TYPE set(256) GRANULARITY 4,
    INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, timestamp, event_id)
TTL toDateTime(timestamp) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000, index_granularity = 8192;
