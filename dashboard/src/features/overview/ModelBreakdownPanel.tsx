/** Per-model requests, errors, tokens, cost and latency over the selected range. */
import { Link } from "react-router";
import { Panel } from "../../components/ui/Panel";
import { EmptyState, ErrorState, LoadingState } from "../../components/ui/States";
import { formatCount, formatMs, formatPercent, formatTokens, formatUsd } from "../../lib/format";
import type { ModelBreakdown } from "../../types/api";

interface Props {
  data: ModelBreakdown | undefined;
  isPending: boolean;
  error: unknown;
  onRetry: () => void;
  /** Link to the events explorer filtered by a model. */
  eventsHref: (model: string) => string;
}

export function ModelBreakdownPanel({ data, isPending, error, onRetry, eventsHref }: Props) {
  let body;
  if (error && !data) body = <ErrorState error={error} onRetry={onRetry} />;
  else if (isPending || !data) body = <LoadingState />;
  else if (data.models.length === 0) body = <EmptyState title="No LLM calls in this time range" />;
  else
    body = (
      <div className="overflow-x-auto">
        <table className="w-full text-sm tabular-nums">
          <caption className="sr-only">Breakdown by model</caption>
          <thead className="text-left text-xs text-muted">
            <tr className="border-b border-line">
              <th scope="col" className="py-1.5 pr-3 font-medium">Model</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Requests</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Errors</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Input tokens</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Output tokens</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Cost</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">p50</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">p95</th>
              <th scope="col" className="py-1.5 text-right font-medium">p99</th>
            </tr>
          </thead>
          <tbody>
            {data.models.map((m) => (
              <tr key={m.model} className="border-b border-line/60 last:border-0">
                <th scope="row" className="py-1.5 pr-3 text-left font-normal">
                  <Link to={eventsHref(m.model)} className="text-accent hover:underline">
                    {m.model}
                  </Link>
                </th>
                <td className="py-1.5 pr-3 text-right">{formatCount(m.requests)}</td>
                <td className={`py-1.5 pr-3 text-right ${m.errors > 0 ? "text-bad" : ""}`}>
                  {formatCount(m.errors)} <span className="text-xs text-muted">({formatPercent(m.errorRate)})</span>
                </td>
                <td className="py-1.5 pr-3 text-right">{formatTokens(m.tokens.input)}</td>
                <td className="py-1.5 pr-3 text-right">{formatTokens(m.tokens.output)}</td>
                <td className="py-1.5 pr-3 text-right">{formatUsd(m.costUsd)}</td>
                <td className="py-1.5 pr-3 text-right">{formatMs(m.latencyMs.p50)}</td>
                <td className="py-1.5 pr-3 text-right">{formatMs(m.latencyMs.p95)}</td>
                <td className="py-1.5 text-right">{formatMs(m.latencyMs.p99)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  return <Panel title="Breakdown by model">{body}</Panel>;
}
