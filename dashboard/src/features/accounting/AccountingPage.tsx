/** Data health: did every accepted event arrive? Accepted, stored, dead-lettered and missing over the range,
 * the data's freshness, the pipeline's lag, and why records were dead-lettered. */
import { useIsFetching } from "@tanstack/react-query";
import { PageHeader } from "../../components/PageHeader";
import { RefreshPicker, TimeRangePicker } from "../../components/TimeRangePicker";
import { Panel } from "../../components/ui/Panel";
import { ErrorState, LoadingState } from "../../components/ui/States";
import { useTimeRange } from "../../hooks/time-range";
import { formatCount, formatTimestamp } from "../../lib/format";
import type { Accounting } from "../../types/api";
import { useCurrentProject } from "../projects/current";
import { STAGE_LABELS, formatAge, verdict, waitingRecords, type Tone } from "./accounting";
import { useAccounting } from "./api";

const TONE_CLASSES: Record<Tone, string> = {
  ok: "border-ok/50 bg-ok/10 text-ok",
  warn: "border-warn/50 bg-warn/10 text-warn",
  bad: "border-bad/50 bg-bad/10 text-bad",
};

function Figure({ id, title, value, note, tone }: { id: string; title: string; value: number; note: string; tone?: Tone }) {
  const colour = tone === "bad" ? "text-bad" : tone === "warn" ? "text-warn" : "text-fg";
  return (
    <section className="rounded-md border border-line bg-panel px-3 py-2" aria-label={title}>
      <h3 className="text-xs font-medium text-muted">{title}</h3>
      <p className={`mt-1 text-2xl font-semibold tabular-nums ${colour}`} data-testid={`figure-${id}`}>
        {formatCount(value)}
      </p>
      <p className="text-xs text-muted">{note}</p>
    </section>
  );
}

export function AccountingView({ data }: { data: Accounting }) {
  const v = verdict(data);
  const waiting = waitingRecords(data);
  return (
    <div className="flex flex-col gap-3">
      <div role="status" className={`rounded border px-3 py-2 text-sm ${TONE_CLASSES[v.tone]}`} data-testid="verdict">
        <p className="font-medium">{v.title}</p>
        <p className="text-fg">{v.detail}</p>
      </div>
      <div className="grid grid-cols-2 gap-2 lg:grid-cols-4">
        <Figure id="accepted" title="Accepted" value={data.accepted} note="answered 202 by the gateway" />
        <Figure id="stored" title="Stored" value={data.stored} note="queryable in ClickHouse" />
        <Figure
          id="dead-lettered"
          title="Dead-lettered"
          value={data.deadLettered}
          note={`${formatCount(data.deadLetteredRecords)} record(s), reasons below`}
          tone={data.deadLettered > 0 || data.undecodedRecords > 0 ? "warn" : undefined}
        />
        <Figure
          id="missing"
          title="Missing"
          value={data.missing}
          note="accepted − stored − dead-lettered"
          tone={data.missing === 0 ? undefined : v.tone === "bad" ? "bad" : "warn"}
        />
      </div>
      <p className="text-xs text-muted">
        Counted by the time the gateway received each event, in whole minutes from {formatTimestamp(data.start)} to {formatTimestamp(data.end)} UTC.
      </p>
      <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
        <Panel title="Freshness" hint="the newest stored event">
          <p className="text-2xl font-semibold tabular-nums" data-testid="freshness-age">
            {formatAge(data.freshness.ageSeconds)}
            {data.freshness.ageSeconds !== null && <span className="text-sm font-normal text-muted"> old</span>}
          </p>
          <p className="text-xs text-muted">
            {data.freshness.newestStoredAt ? `received ${formatTimestamp(data.freshness.newestStoredAt)} UTC` : "No event of this project is stored yet."}
          </p>
        </Panel>
        <Panel title="Pipeline lag" hint={waiting === null ? "unknown" : `${formatCount(waiting)} record(s) waiting where this project's records wait`}>
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-xs text-muted">
                <th className="py-1 font-medium">Stage</th>
                <th className="py-1 font-medium">Consumer group</th>
                <th className="py-1 pl-3 text-right font-medium" title="The partition this project's records go to, shared with the projects hashed to it">
                  This project's partition
                </th>
                <th className="py-1 pl-3 text-right font-medium">All partitions</th>
              </tr>
            </thead>
            <tbody>
              {data.lag.map((s) => (
                <tr key={s.stage} className="border-t border-line">
                  <td className="py-1">{STAGE_LABELS[s.stage] ?? s.stage}</td>
                  <td className="py-1 font-mono text-xs text-muted">{s.group}</td>
                  {s.records === null ? (
                    <td colSpan={2} className="py-1 text-right text-warn">
                      {s.error ?? "unknown"}
                    </td>
                  ) : (
                    <>
                      <td className="py-1 pl-3 text-right tabular-nums">
                        {s.partitionRecords === null || s.partitionRecords === undefined ? "—" : formatCount(s.partitionRecords)}
                        {s.partition !== null && s.partition !== undefined && <span className="ml-1 text-xs text-muted">(#{s.partition})</span>}
                      </td>
                      <td className="py-1 pl-3 text-right tabular-nums">{formatCount(s.records)}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      </div>
      <Panel title="Dead-letter reasons" hint="most events first">
        {data.reasons.length === 0 ? (
          <p className="py-2 text-sm text-muted">No record of this project was dead-lettered in this range.</p>
        ) : (
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-xs text-muted">
                <th className="py-1 font-medium">Stage</th>
                <th className="py-1 font-medium">Error</th>
                <th className="py-1 text-right font-medium">Records</th>
                <th className="py-1 text-right font-medium">Events</th>
                <th className="py-1 text-right font-medium">Last</th>
              </tr>
            </thead>
            <tbody>
              {data.reasons.map((r) => (
                <tr key={`${r.stage}\u0000${r.error}`} className="border-t border-line align-top">
                  <td className="py-1 pr-2">
                    {r.stage}
                    {!r.affectsStorage && <span className="ml-1 text-xs text-muted">(alerts only: stored anyway)</span>}
                  </td>
                  <td className="max-w-[48rem] break-words py-1 pr-2 font-mono text-xs">{r.error || "—"}</td>
                  <td className="py-1 text-right tabular-nums">{formatCount(r.records)}</td>
                  <td className="py-1 text-right tabular-nums">
                    {formatCount(r.events)}
                    {r.undecoded > 0 && <span className="block text-xs text-muted">{formatCount(r.undecoded)} not decodable</span>}
                  </td>
                  <td className="py-1 text-right text-xs text-muted">{formatTimestamp(r.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}

export function AccountingPage() {
  const project = useCurrentProject();
  const { from, to } = useTimeRange();
  const accounting = useAccounting(project.id, from, to);
  const fetching = useIsFetching({ queryKey: ["stats", project.id] }) > 0;
  let body;
  if (accounting.data) body = <AccountingView data={accounting.data} />;
  else if (accounting.error) body = <ErrorState error={accounting.error} onRetry={() => void accounting.refetch()} />;
  else body = <LoadingState />;
  return (
    <>
      <PageHeader title="Data health">
        <TimeRangePicker />
        <RefreshPicker fetching={fetching} />
      </PageHeader>
      {body}
    </>
  );
}
