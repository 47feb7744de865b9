/** Response bodies shaped like the server's, for component tests. */
import type { ApiKey, EventDetail, EventSummary, Me, ModelBreakdown, Overview, TimeSeries } from "../types/api";

export const project = { id: "prj_1", name: "Shop", role: "owner", createdAt: "2025-01-01T00:00:00Z" };
export const me: Me = { user: { id: "u1", email: "dev@example.com" }, projects: [project, { id: "prj_2", name: "Blog", role: "member", createdAt: "2025-01-02T00:00:00Z" }] };

export const overview: Overview = {
  projectId: "prj_1",
  requests: { today: 1234, last7d: 45_678, last30d: 1_234_567 },
  window: { from: "2025-01-30T12:00:00Z", to: "2025-01-31T12:00:00Z", requests: 1000, errors: 25 },
  errorRate: 0.025,
  tokens: { input: 123_456, output: 7890, cached: 0 },
  costUsd: 12.3456,
};

const stamps = ["2025-01-31T11:58:00Z", "2025-01-31T11:59:00Z", "2025-01-31T12:00:00Z"];
export function series(metric: TimeSeries["metric"], items: TimeSeries["series"]): TimeSeries {
  return { projectId: "prj_1", metric, interval: "minute", from: stamps[0]!, to: "2025-01-31T12:01:00Z", timestamps: stamps, series: items };
}

export const models: ModelBreakdown = {
  projectId: "prj_1",
  from: "2025-01-30T12:00:00Z",
  to: "2025-01-31T12:00:00Z",
  models: [
    { model: "gpt-4o-mini", requests: 900, errors: 20, errorRate: 0.0222, tokens: { input: 100_000, output: 5000, cached: 0 }, costUsd: 0.018, latencyMs: { p50: 320, p95: 900, p99: 1500 } },
    { model: "claude-3-5-sonnet", requests: 100, errors: 5, errorRate: 0.05, tokens: { input: 23_456, output: 2890, cached: 0 }, costUsd: 12.33, latencyMs: { p50: 700, p95: 1800, p99: null } },
  ],
};

export function summary(overrides: Partial<EventSummary> = {}): EventSummary {
  return {
    eventId: "0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e01",
    type: "llm_call",
    timestamp: "2025-01-31T12:00:00.250Z",
    receivedAt: "2025-01-31T12:00:00.300Z",
    model: "gpt-4o",
    provider: "openai",
    status: "ok",
    errorType: null,
    level: null,
    latencyMs: 412.5,
    tokens: { input: 21, output: 2, cached: 0, reasoning: 0 },
    costUsd: 0.0000725,
    traceId: null,
    spanId: null,
    ...overrides,
  };
}

export function detail(overrides: Partial<EventDetail> = {}): EventDetail {
  return {
    ...summary(),
    projectId: "prj_1",
    keyId: "key_1",
    parentSpanId: null,
    env: "production",
    userId: "user-42",
    sessionId: null,
    release: null,
    sdk: "lynex-python/0.1.0",
    costSource: "price_table",
    timestampAdjusted: false,
    context: { env: "production", userId: "user-42" },
    body: {
      model: "gpt-4o",
      prompt: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "What is the capital of France?" },
      ],
      response: { role: "assistant", content: "Paris." },
      tokens: { input: 21, output: 2 },
      params: { temperature: 0.2 },
    },
    ...overrides,
  };
}

export function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: "key_1",
    name: "production",
    prefix: "sk_live_ab12",
    createdAt: "2025-01-01T00:00:00Z",
    revokedAt: null,
    lastUsedAt: "2025-01-31T11:55:00Z",
    eventsAccepted: 123_456,
    ...overrides,
  };
}
