-- Every record that reached the DLQ topic, one row each, written by the dead-letter recorder
-- (streams/dead_letter_log.py) so that the accounting view can say, per project, what was not stored
-- and why. `received_at` is the gateway's stamp of the record's events when the record decodes (the
-- row then falls in the same minute as the accepted events it holds), else the DLQ record's time.
-- `events` is the number of events in the record (0 when it does not decode: `decoded` = 0).
-- A record re-read after a crash collapses on merge (same DLQ partition and offset); reads use FINAL.
-- A record dead-lettered twice (a stage re-read it after a crash) has two DLQ offsets: reads count one
-- per (stage, original topic/partition/offset, value_hash).
CREATE TABLE IF NOT EXISTS dead_letters
(
    project_id          LowCardinality(String),
    received_at         DateTime64(3, 'UTC'),
    dead_lettered_at    DateTime64(3, 'UTC'),
    stage               LowCardinality(String),
    error               String,
    events              UInt32,
    decoded             UInt8,
    truncated           UInt8,
    value_bytes         UInt32,
    original_topic      String,
    original_partition  Int32,
    original_offset     Int64,
    dlq_partition       Int32,
    dlq_offset          Int64,
    value_hash          UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (project_id, received_at, dlq_partition, dlq_offset)
TTL toDateTime(received_at) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
