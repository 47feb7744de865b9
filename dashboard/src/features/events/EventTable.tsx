/** The explorer's table: one row per event, a click (or Enter) expands the full event below it. */
import { Fragment } from "react";
import { formatCount, formatMs, formatTimestamp, formatUsd } from "../../lib/format";
import type { EventSummary } from "../../types/api";
import { EventDetailPanel } from "./EventDetailView";

/** ok / error / other, from status, error type or log level. */
export function statusOf(event: EventSummary): "ok" | "error" | "warn" | "none" {
  if (event.type === "error" || event.status === "error" || event.errorType) return "error";
  if (event.level === "error" || event.level === "critical" || event.level === "fatal") return "error";
  if (event.level === "warning" || event.level === "warn") return "warn";
  if (event.status === "ok") return "ok";
  return "none";
}

const DOT: Record<ReturnType<typeof statusOf>, string> = { ok: "bg-ok", error: "bg-bad", warn: "bg-warn", none: "bg-muted/50" };

function StatusCell({ event }: { event: EventSummary }) {
  const status = statusOf(event);
  // A log's level says more than its derived status.
  const text = (event.type === "log" ? event.level : null) ?? event.status ?? event.level ?? (event.type === "error" ? "error" : "—");
  return (
    <span className="inline-flex items-center gap-1.5">
      <span aria-hidden="true" className={`inline-block h-2 w-2 rounded-full ${DOT[status]}`} />
      <span className={status === "error" ? "text-bad" : ""}>{text}</span>
    </span>
  );
}

interface Props {
  projectId: string;
  events: EventSummary[];
  expanded: string | null;
  onToggle: (eventId: string) => void;
}

export function EventTable({ projectId, events, expanded, onToggle }: Props) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm tabular-nums">
        <caption className="sr-only">Events, newest first. Activate a row to see the full event.</caption>
        <thead className="text-left text-xs text-muted">
          <tr className="border-b border-line">
            <th scope="col" className="px-2 py-1.5 font-medium">Time</th>
            <th scope="col" className="px-2 py-1.5 font-medium">Type</th>
            <th scope="col" className="px-2 py-1.5 font-medium">Model</th>
            <th scope="col" className="px-2 py-1.5 font-medium">Status</th>
            <th scope="col" className="px-2 py-1.5 text-right font-medium">Latency</th>
            <th scope="col" className="px-2 py-1.5 text-right font-medium">Tokens in / out</th>
            <th scope="col" className="px-2 py-1.5 text-right font-medium">Cost</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const open = expanded === e.eventId;
            const detailId = `event-detail-${e.eventId}`;
            return (
              <Fragment key={e.eventId}>
                <tr
                  className={`cursor-pointer border-b border-line/60 hover:bg-hover ${open ? "bg-hover" : ""}`}
                  onClick={() => onToggle(e.eventId)}
                  data-event-id={e.eventId}
                >
                  <td className="whitespace-nowrap px-2 py-1.5">
                    <button
                      type="button"
                      className="text-left hover:underline"
                      aria-expanded={open}
                      aria-controls={open ? detailId : undefined}
                      onClick={(ev) => {
                        ev.stopPropagation();
                        onToggle(e.eventId);
                      }}
                    >
                      <span aria-hidden="true" className="mr-1 inline-block w-3 text-muted">{open ? "▾" : "▸"}</span>
                      {formatTimestamp(e.timestamp)}
                    </button>
                  </td>
                  <td className="px-2 py-1.5">
                    <span className="rounded bg-panel-2 px-1.5 py-0.5 text-xs">{e.type}</span>
                  </td>
                  <td className="max-w-[16rem] truncate px-2 py-1.5" title={e.model ?? undefined}>{e.model ?? <span className="text-muted">—</span>}</td>
                  <td className="px-2 py-1.5"><StatusCell event={e} /></td>
                  <td className="px-2 py-1.5 text-right">{formatMs(e.latencyMs)}</td>
                  <td className="px-2 py-1.5 text-right">
                    {e.tokens.input || e.tokens.output ? `${formatCount(e.tokens.input)} / ${formatCount(e.tokens.output)}` : <span className="text-muted">—</span>}
                  </td>
                  <td className="px-2 py-1.5 text-right">{formatUsd(e.costUsd)}</td>
                </tr>
                {open && (
                  <tr id={detailId} className="border-b border-line bg-panel">
                    <td colSpan={7} className="px-3 py-3">
                      <EventDetailPanel projectId={projectId} eventId={e.eventId} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
