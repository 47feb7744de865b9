/** One event in full: the facts, the prompt and response as a conversation, the rest as JSON. */
import { CopyButton } from "../../components/ui/CopyButton";
import { ErrorState, LoadingState } from "../../components/ui/States";
import { formatCount, formatMs, formatTimestamp, formatUsd } from "../../lib/format";
import type { EventDetail } from "../../types/api";
import { useEvent } from "./api";
import { viewBody, type Message } from "./event-body";

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre aria-label={label} className="max-h-96 overflow-auto rounded border border-line bg-panel-2 p-2 text-xs leading-relaxed">
      <code>{JSON.stringify(value, null, 2)}</code>
    </pre>
  );
}

function Conversation({ title, messages }: { title: string; messages: Message[] }) {
  return (
    <section aria-label={title} className="flex flex-col gap-1.5">
      <h4 className="text-xs font-semibold uppercase tracking-wide text-muted">{title}</h4>
      {messages.map((m, i) => (
        <div key={i} className="rounded border border-line bg-panel-2 p-2" data-role={m.role}>
          <p className="mb-1 text-xs font-medium text-accent">{m.role}</p>
          <p className="whitespace-pre-wrap break-words text-sm">{m.text || <span className="text-muted">(no text)</span>}</p>
          {m.extra && <Json value={m.extra} label={`${m.role} message details`} />}
        </div>
      ))}
    </section>
  );
}

function Facts({ event }: { event: EventDetail }) {
  const rows: [string, string | null][] = [
    ["Event id", event.eventId],
    ["Timestamp", `${formatTimestamp(event.timestamp)}${event.timestampAdjusted ? " (client clock implausible: time received)" : ""}`],
    ["Received", formatTimestamp(event.receivedAt)],
    ["Model", event.model ? `${event.model}${event.provider ? ` (${event.provider})` : ""}` : null],
    ["Status", event.status ?? event.level],
    ["Latency", event.latencyMs !== null ? formatMs(event.latencyMs) : null],
    [
      "Tokens",
      event.tokens.input || event.tokens.output
        ? `${formatCount(event.tokens.input)} in · ${formatCount(event.tokens.output)} out` +
          (event.tokens.cached ? ` · ${formatCount(event.tokens.cached)} cached` : "") +
          (event.tokens.reasoning ? ` · ${formatCount(event.tokens.reasoning)} reasoning` : "")
        : null,
    ],
    ["Cost", event.costUsd !== null ? `${formatUsd(event.costUsd)}${event.costSource ? ` (${event.costSource})` : ""}` : null],
    ["Trace", event.traceId ? `${event.traceId}${event.spanId ? ` / span ${event.spanId}` : ""}` : null],
    ["Environment", event.env],
    ["User", event.userId],
    ["Session", event.sessionId],
    ["Release", event.release],
    ["SDK", event.sdk],
  ];
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
      {rows
        .filter(([, v]) => v !== null && v !== "")
        .map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-muted">{k}</dt>
            <dd className="break-all">{v}</dd>
          </div>
        ))}
    </dl>
  );
}

export function EventDetailBody({ event }: { event: EventDetail }) {
  const view = viewBody(event.type, event.body);
  return (
    <div className="flex flex-col gap-4" data-testid="event-detail">
      <Facts event={event} />
      {view.prompt && <Conversation title="Prompt" messages={view.prompt} />}
      {view.response && <Conversation title="Response" messages={view.response} />}
      {view.text.map((t) => (
        <section key={t.label} aria-label={t.label}>
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">{t.label}</h4>
          <pre className="max-h-96 overflow-auto whitespace-pre-wrap break-words rounded border border-line bg-panel-2 p-2 text-sm">{t.value}</pre>
        </section>
      ))}
      {view.rest && (
        <section aria-label="Body">
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Body</h4>
          <Json value={view.rest} label="Body (JSON)" />
        </section>
      )}
      {event.context !== null && event.context !== undefined && (
        <section aria-label="Context">
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Context</h4>
          <Json value={event.context} label="Context (JSON)" />
        </section>
      )}
      <details>
        <summary className="cursor-pointer text-xs text-muted">Raw event (JSON)</summary>
        <div className="mt-1 flex justify-end">
          <CopyButton text={JSON.stringify(event, null, 2)} label="Copy JSON" />
        </div>
        <Json value={event} label="Raw event" />
      </details>
    </div>
  );
}

export function EventDetailPanel({ projectId, eventId }: { projectId: string; eventId: string }) {
  const query = useEvent(projectId, eventId);
  if (query.isPending) return <LoadingState label="Loading event…" />;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return <EventDetailBody event={query.data} />;
}
