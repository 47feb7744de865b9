/**
 * The events explorer: newest first, filtered by type, model, status and time range (all in the URL),
 * paged with the API's keyset cursor (cheap at any depth); a row expands into the full event.
 */
import { useEffect, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { RefreshPicker, TimeRangePicker } from "../../components/TimeRangePicker";
import { Button } from "../../components/ui/Button";
import { controlClass } from "../../components/ui/fields";
import { EmptyState, ErrorState, LoadingState, Spinner } from "../../components/ui/States";
import { useTimeRange } from "../../hooks/time-range";
import { EVENT_STATUSES, EVENT_TYPES } from "../../types/api";
import { useModelBreakdown } from "../overview/api";
import { useCurrentProject } from "../projects/current";
import { useEventPage, type EventFilters } from "./api";
import { EventTable } from "./EventTable";
import { PAGE_SIZES, clearFilters, hasFilters, readFilters, readPageSize, writeFilter } from "./filters";

function Filters({ filters, models }: { filters: EventFilters; models: string[] }) {
  const [, setParams] = useSearchParams();
  const [modelText, setModelText] = useState(filters.model ?? "");
  useEffect(() => setModelText(filters.model ?? ""), [filters.model]);
  const set = (name: keyof EventFilters, value: string | null) => setParams((prev) => writeFilter(prev, name, value));
  const applyModel = (e?: FormEvent) => {
    e?.preventDefault();
    const value = modelText.trim() || null;
    if (value !== filters.model) set("model", value);
  };
  return (
    <form role="search" aria-label="Filter events" className="mb-3 flex flex-wrap items-end gap-3" onSubmit={applyModel}>
      <div className="flex flex-col gap-1 text-xs text-muted">
        <label htmlFor="filter-type">Type</label>
        <select id="filter-type" className={`${controlClass} w-36`} value={filters.type ?? ""} onChange={(e) => set("type", e.target.value || null)} name="type">
          <option value="">All types</option>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>{t}</option>
          ))}
        </select>
      </div>
      <div className="flex flex-col gap-1 text-xs text-muted">
        <label htmlFor="filter-model">Model</label>
        <input
          id="filter-model"
          className={`${controlClass} w-56`}
          name="model"
          list="event-models"
          placeholder="Any model"
          title="Press Enter to apply"
          value={modelText}
          onChange={(e) => setModelText(e.target.value)}
          onBlur={() => applyModel()}
        />
        <datalist id="event-models">
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </div>
      <div className="flex flex-col gap-1 text-xs text-muted">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" className={`${controlClass} w-32`} value={filters.status ?? ""} onChange={(e) => set("status", e.target.value || null)} name="status">
          <option value="">Any status</option>
          {EVENT_STATUSES.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </div>
      {hasFilters(filters) && (
        <Button variant="ghost" onClick={() => setParams((prev) => clearFilters(prev))}>
          Clear filters
        </Button>
      )}
      <button type="submit" className="sr-only">Apply filters</button>
    </form>
  );
}

export function EventsPage() {
  const project = useCurrentProject();
  const [params, setParams] = useSearchParams();
  const { spec, from, to } = useTimeRange();
  const filters = readFilters(params);
  const limit = readPageSize(params);
  const expanded = params.get("event");
  // Cursors of the pages before the current one; a new filter or range starts again at the newest.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const resetKey = JSON.stringify([filters, limit, spec.kind === "custom" ? [from, to] : spec.preset]);
  const [lastReset, setLastReset] = useState(resetKey);
  if (lastReset !== resetKey) {
    setLastReset(resetKey);
    setCursors([null]);
  }
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useEventPage({
    projectId: project.id,
    ...filters,
    from,
    // A preset range is open-ended: events of clients whose clock runs a little fast still show.
    to: spec.kind === "custom" ? to : null,
    cursor,
    limit,
  });
  // Model suggestions for the filter: the models seen in the selected range.
  const models = useModelBreakdown({ projectId: project.id, from, to });

  const toggle = (eventId: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (next.get("event") === eventId) next.delete("event");
        else next.set("event", eventId);
        return next;
      },
      { replace: true },
    );

  let body;
  if (page.isPending) body = <LoadingState label="Loading events…" />;
  else if (page.error && !page.data) body = <ErrorState error={page.error} onRetry={() => void page.refetch()} />;
  else if (!page.data || page.data.events.length === 0)
    body = (
      <EmptyState title={cursors.length > 1 ? "No older events" : "No events match"}>
        <p>{hasFilters(filters) ? "Try other filters or a longer time range." : "Try a longer time range."}</p>
      </EmptyState>
    );
  else body = <EventTable projectId={project.id} events={page.data.events} expanded={expanded} onToggle={toggle} />;

  const pageNumber = cursors.length;
  return (
    <>
      <PageHeader title="Events">
        <TimeRangePicker />
        <RefreshPicker fetching={page.isFetching} />
      </PageHeader>
      <Filters filters={filters} models={(models.data?.models ?? []).map((m) => m.model)} />
      <div className="rounded-md border border-line bg-panel">
        {page.error && page.data && (
          <p role="alert" className="border-b border-line px-3 py-2 text-sm text-bad">
            Refreshing failed; showing the last events loaded.
          </p>
        )}
        {body}
        <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-2 border-t border-line px-3 py-2 text-sm">
          <div className="flex items-center gap-2">
            <Button size="sm" disabled={pageNumber === 1} onClick={() => setCursors([null])}>
              Newest
            </Button>
            <Button size="sm" disabled={pageNumber === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              ← Newer
            </Button>
            <span className="text-muted">
              Page {pageNumber}
              {page.isFetching && !page.isPending && <Spinner label="Loading" />}
            </span>
            <Button size="sm" disabled={!page.data?.nextCursor || page.isPlaceholderData} onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? null])}>
              Older →
            </Button>
          </div>
          <div className="flex items-center gap-2 whitespace-nowrap text-xs text-muted">
            <label htmlFor="page-size">Per page</label>
            <select
              id="page-size"
              className={`${controlClass} w-20`}
              value={limit}
              onChange={(e) =>
                setParams((prev) => {
                  const next = new URLSearchParams(prev);
                  next.set("limit", e.target.value);
                  return next;
                })
              }
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>{n}</option>
              ))}
            </select>
          </div>
        </nav>
      </div>
    </>
  );
}
