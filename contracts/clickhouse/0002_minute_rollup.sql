-- Per-minute rollup per project and model, filled on insert by a materialized view; the stats
-- endpoints read it instead of the raw events. Exact because the sink never inserts a duplicate id.
CREATE TABLE IF NOT EXISTS events_1m
(
    project_id     LowCardinality(String),
    minute         DateTime('UTC'),
    model          LowCardinality(String),
    events         SimpleAggregateFunction(sum, UInt64),
    requests       SimpleAggregateFunction(sum, UInt64),
    errors         SimpleAggregateFunction(sum, UInt64),
    input_tokens   SimpleAggregateFunction(sum, UInt64),
    output_tokens  SimpleAggregateFunction(sum, UInt64),
    cached_tokens  SimpleAggregateFunction(sum, UInt64),
    cost_usd       SimpleAggregateFunction(sum, Float64),
    latency        AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, minute, model)
TTL minute + INTERVAL {retention_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_1m_mv TO events_1m AS
SELECT
    project_id,
    toStartOfMinute(timestamp) AS minute,
    model,
    count() AS events,
    countIf(type = 'llm_call') AS requests,
    countIf(type = 'llm_call' AND status = 'error') AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cached_tokens) AS cached_tokens,
    sum(ifNull(cost_usd, 0)) AS cost_usd,
    quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(latency_ms), type = 'llm_call' AND latency_ms IS NOT NULL) AS latency
FROM events
GROUP BY project_id, minute, model;
