/** What the accounting figures mean for a user: one verdict, the waiting records, the data's age. Pure. */
import { formatCount } from "../../lib/format";
import type { Accounting } from "../../types/api";

export type Tone = "ok" | "warn" | "bad";

export interface Verdict {
  tone: Tone;
  title: string;
  detail: string;
}

/** Records waiting over every stage where this project's records wait (its partitions; the whole topic
 * if the server did not say); null when a stage's lag could not be read. */
export function waitingRecords(a: Accounting): number | null {
  const waiting = a.lag.map((s) => s.partitionRecords ?? s.records);
  if (waiting.some((n) => n === null || n === undefined)) return null;
  return waiting.reduce<number>((sum, n) => sum + (n ?? 0), 0);
}

function events(n: number): string {
  return `${formatCount(n)} event${n === 1 ? "" : "s"}`;
}

export function verdict(a: Accounting): Verdict {
  const waiting = waitingRecords(a);
  const undecoded =
    a.undecodedRecords > 0
      ? ` ${formatCount(a.undecodedRecords)} dead-lettered record(s) could not be decoded, so the events in them (if any) are not counted; see the reasons below.`
      : "";
  if (a.missing === 0 && a.deadLettered === 0 && a.undecodedRecords === 0)
    return { tone: "ok", title: "Nothing missing", detail: `Every accepted event was stored (${events(a.stored)}).` };
  if (a.missing === 0)
    return {
      tone: "warn",
      title: "Nothing unaccounted for",
      detail:
        a.deadLettered > 0
          ? `${events(a.stored)} stored; ${events(a.deadLettered)} dead-lettered, with the reasons below.${undecoded}`
          : `Every accepted event was stored (${events(a.stored)}).${undecoded}`,
    };
  if (a.missing < 0)
    return {
      tone: "warn",
      title: `${events(-a.missing)} more stored or dead-lettered than accepted`,
      detail:
        "Accepted counts reach the server every few seconds, so the last moments can lag behind; otherwise records reached the pipeline without passing the gateway." +
        undecoded,
    };
  if (waiting === null || waiting > 0)
    return {
      tone: "warn",
      title: `${events(a.missing)} not stored yet`,
      detail:
        waiting === null
          ? `Pipeline lag is unknown (Kafka could not be asked): they may still be on their way.${undecoded}`
          : `${formatCount(waiting)} record(s) are waiting in the pipeline: they may still arrive.${undecoded}`,
    };
  return {
    tone: "bad",
    title: `${events(a.missing)} missing`,
    detail: `Accepted by the gateway, but neither stored nor dead-lettered, and nothing is waiting in the pipeline.${undecoded}`,
  };
}

/** "12 s", "5 min", "3 h", "2 d"; "—" when nothing is stored. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export const STAGE_LABELS: Record<string, string> = {
  enrich: "Enrich (raw → enriched)",
  sink: "Sink (enriched → ClickHouse)",
  dead_letter_log: "Dead-letter recorder",
};
