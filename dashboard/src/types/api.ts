/** The JSON shapes of the Lynex HTTP API (camelCase), mirroring query/responses.py and the management API. */

export interface User {
  id: string;
  email: string;
}

export type ProjectRole = "owner" | "member" | (string & {});

export interface Project {
  id: string;
  name: string;
  role: ProjectRole;
  createdAt: string;
}

/** The roles `POST …/projects/{id}/members` accepts. */
export const MEMBER_ROLES = ["member", "owner"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** A member of a project, as `GET …/projects/{id}/members` lists them. */
export interface Member extends User {
  role: MemberRole;
  /** When they joined the project or last had their role changed (the server re-adds them), ISO 8601. */
  since: string;
}

export interface Me {
  user: User;
  projects: Project[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  eventsAccepted: number;
}

export interface CreatedKey {
  key: ApiKey;
  /** Shown only in this response: the server stores a hash. */
  secret: string;
}

export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

export const EVENT_TYPES = ["llm_call", "token_usage", "log", "error", "span", "custom"] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_STATUSES = ["ok", "error", "unset"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export interface EventSummary {
  eventId: string;
  type: string;
  timestamp: string;
  receivedAt: string;
  model: string | null;
  provider: string | null;
  status: string | null;
  errorType: string | null;
  level: string | null;
  latencyMs: number | null;
  tokens: TokenCounts;
  costUsd: number | null;
  traceId: string | null;
  spanId: string | null;
}

export interface EventDetail extends EventSummary {
  projectId: string;
  keyId: string | null;
  parentSpanId: string | null;
  env: string | null;
  userId: string | null;
  sessionId: string | null;
  release: string | null;
  sdk: string | null;
  costSource: string | null;
  timestampAdjusted: boolean;
  context: unknown;
  body: unknown;
}

export interface EventPage {
  events: EventSummary[];
  nextCursor: string | null;
}

export interface Overview {
  projectId: string;
  requests: { today: number; last7d: number; last30d: number };
  window: { from: string; to: string; requests: number; errors: number };
  errorRate: number;
  tokens: { input: number; output: number; cached: number };
  costUsd: number;
}

export type Metric = "requests" | "errors" | "tokens" | "cost" | "latency";
export type Interval = "minute" | "hour" | "day";

export interface Series {
  name: string;
  values: (number | null)[];
  model?: string | null;
  other?: boolean;
}

export interface TimeSeries {
  projectId: string;
  metric: Metric;
  interval: Interval;
  from: string;
  to: string;
  timestamps: string[];
  series: Series[];
}

export interface ModelStats {
  model: string;
  requests: number;
  errors: number;
  errorRate: number;
  tokens: { input: number; output: number; cached: number };
  costUsd: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export interface ModelBreakdown {
  projectId: string;
  from: string;
  to: string;
  models: ModelStats[];
}

export interface StageLag {
  stage: string;
  group: string;
  topic: string;
  /** Records not yet committed by the stage's consumer group, all partitions; null when Kafka could not be asked. */
  records: number | null;
  /** The partition this project's records go to, and the records waiting there (shared with other projects). */
  partition?: number | null;
  partitionRecords?: number | null;
  error?: string | null;
}

export interface DeadLetterReason {
  stage: string;
  error: string;
  records: number;
  events: number;
  undecoded: number;
  lastAt: string;
  /** False for alert stages: those events were stored anyway. */
  affectsStorage: boolean;
}

/** GET /api/v1/projects/{id}/accounting */
export interface Accounting {
  projectId: string;
  start: string;
  end: string;
  accepted: number;
  stored: number;
  deadLettered: number;
  deadLetteredRecords: number;
  undecodedRecords: number;
  missing: number;
  freshness: { newestStoredAt: string | null; ageSeconds: number | null };
  lag: StageLag[];
  reasons: DeadLetterReason[];
  asOf: string;
}
