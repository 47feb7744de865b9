/** The row of stat panels: one number each, formatted for its unit, from /stats/overview. */
import { ErrorState } from "../../components/ui/States";
import { formatCount, formatValue } from "../../lib/format";
import type { Overview } from "../../types/api";
import type { StatPanelDef } from "./panels";

export function StatPanel({ def, overview, loading }: { def: StatPanelDef; overview: Overview | undefined; loading: boolean }) {
  const value = overview ? def.value(overview) : null;
  const alarming = overview && def.alarming ? def.alarming(overview) : false;
  const exact = value !== null && (def.unit === "count" || def.unit === "tokens") ? formatCount(value) : undefined;
  return (
    <section className="rounded-md border border-line bg-panel px-3 py-2" aria-label={def.title} data-stat={def.id}>
      <h3 className="text-xs font-medium text-muted">{def.title}</h3>
      <p className={`mt-1 text-2xl font-semibold tabular-nums ${alarming ? "text-bad" : "text-fg"}`} title={exact} data-testid={`stat-${def.id}`}>
        {loading && !overview ? <span className="inline-block h-7 w-16 animate-pulse rounded bg-hover" aria-label="Loading" /> : formatValue(def.unit, value)}
      </p>
    </section>
  );
}

export function StatRow({
  defs,
  overview,
  loading,
  error,
  onRetry,
  rangeLabel,
}: {
  defs: StatPanelDef[];
  overview: Overview | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  rangeLabel: string;
}) {
  if (error && !overview) return <ErrorState error={error} onRetry={onRetry} className="rounded-md border border-line bg-panel" />;
  const fixed = defs.filter((d) => d.scope === "fixed");
  const ranged = defs.filter((d) => d.scope === "range");
  return (
    <div className="flex flex-col gap-2">
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-7">
        {[...fixed, ...ranged].map((def) => (
          <StatPanel key={def.id} def={def} overview={overview} loading={loading} />
        ))}
      </div>
      <p className="text-xs text-muted">
        Error rate, tokens and cost cover {rangeLabel.charAt(0).toLowerCase() + rangeLabel.slice(1)}; request counts are fixed windows (today is since 00:00 UTC).
      </p>
    </div>
  );
}
