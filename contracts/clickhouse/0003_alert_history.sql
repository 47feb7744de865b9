-- Every alert notification: fired (first or reminder) and resolved, with the outcome of each channel.
-- `alert_id` is unique per notification; a redelivered notice (the notifier crashed before committing)
-- collapses into one row on merge, and the history endpoint reads with FINAL.
CREATE TABLE IF NOT EXISTS alert_history
(
    project_id      LowCardinality(String),
    alert_id        String,
    rule_id         String,
    rule_name       String,
    kind            LowCardinality(String),
    state           LowCardinality(String),
    repeat          UInt8,
    at              DateTime64(3, 'UTC'),
    notified_at     DateTime64(3, 'UTC'),
    value           Float64,
    threshold       Float64,
    window_minutes  UInt32,
    model           String,
    error_type      String,
    deliveries      String
)
ENGINE = ReplacingMergeTree(notified_at)
PARTITION BY toYYYYMM(at)
ORDER BY (project_id, at, alert_id)
TTL toDateTime(at) + INTERVAL {retention_days} DAY;
