/** One time-series panel of the registry: fetches its queries, then chart, empty or error state. */
import { useMemo } from "react";
import { isEmptyChart, toChartData } from "../../components/charts/chart-data";
import { TimeSeriesChart } from "../../components/charts/TimeSeriesChart";
import { Panel } from "../../components/ui/Panel";
import { EmptyState, ErrorState, LoadingState, Spinner } from "../../components/ui/States";
import type { TimeSeries } from "../../types/api";
import type { TimeSeriesPanelDef } from "./panels";

interface Props {
  def: TimeSeriesPanelDef;
  data: TimeSeries[] | undefined;
  isPending: boolean;
  isFetching: boolean;
  error: unknown;
  onRetry: () => void;
  onZoom?: (from: Date, to: Date) => void;
}

export function TimeSeriesPanelView({ def, data, isPending, isFetching, error, onRetry, onZoom }: Props) {
  const chart = useMemo(() => (data ? toChartData(data) : null), [data]);
  let body;
  if (error && !chart) body = <ErrorState error={error} onRetry={onRetry} />;
  else if (isPending || !chart) body = <LoadingState />;
  else if (isEmptyChart(chart)) body = <EmptyState title="No data in this time range" />;
  else body = <TimeSeriesChart data={chart} unit={def.unit} label={def.title} legendStat={def.legendStat} {...(onZoom ? { onZoom } : {})} />;
  return (
    <Panel title={def.title} className={def.span === "full" ? "lg:col-span-2" : ""} actions={isFetching && !isPending ? <Spinner label="Refreshing" /> : null}>
      <div className="min-h-[240px]">{body}</div>
    </Panel>
  );
}
