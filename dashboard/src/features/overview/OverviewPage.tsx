/** The overview: stat panels, the registry's time-series panels and the model breakdown; first-run when empty. */
import { useIsFetching, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { RefreshPicker, TimeRangePicker } from "../../components/TimeRangePicker";
import { ErrorState, LoadingState } from "../../components/ui/States";
import { sharedSearch, useTimeRange } from "../../hooks/time-range";
import { describeRange } from "../../lib/time-range";
import { useHasEvents } from "../events/api";
import { FirstRun } from "../onboarding/FirstRun";
import { projectPath, useCurrentProject } from "../projects/current";
import { useModelBreakdown, useOverview, usePanelSeries } from "./api";
import { ModelBreakdownPanel } from "./ModelBreakdownPanel";
import { STAT_PANELS, TIME_SERIES_PANELS, type TimeSeriesPanelDef } from "./panels";
import { StatRow } from "./StatPanels";
import { TimeSeriesPanelView } from "./TimeSeriesPanel";

function ConnectedTimeSeriesPanel({ def }: { def: TimeSeriesPanelDef }) {
  const project = useCurrentProject();
  const { from, to, interval, setRange } = useTimeRange();
  const result = usePanelSeries({ projectId: project.id, from, to, interval }, def.queries);
  return (
    <TimeSeriesPanelView
      def={def}
      data={result.data}
      isPending={result.isPending}
      isFetching={result.isFetching}
      error={result.error}
      onRetry={result.refetch}
      onZoom={(zoomFrom, zoomTo) => setRange({ kind: "custom", from: zoomFrom, to: zoomTo })}
    />
  );
}

function Dashboard() {
  const project = useCurrentProject();
  const { from, to, spec } = useTimeRange();
  const overview = useOverview({ projectId: project.id, from, to });
  const models = useModelBreakdown({ projectId: project.id, from, to });
  const [search] = useSearchParams();
  const eventsHref = (model: string) => {
    const params = new URLSearchParams(sharedSearch(search).slice(1));
    params.set("model", model);
    return `${projectPath.events(project.id)}?${params.toString()}`;
  };
  return (
    <div className="flex flex-col gap-3">
      <StatRow
        defs={STAT_PANELS}
        overview={overview.data}
        loading={overview.isPending}
        error={overview.error}
        onRetry={() => void overview.refetch()}
        rangeLabel={describeRange(spec)}
      />
      <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
        {TIME_SERIES_PANELS.map((def) => (
          <ConnectedTimeSeriesPanel key={def.id} def={def} />
        ))}
      </div>
      <ModelBreakdownPanel data={models.data} isPending={models.isPending} error={models.error} onRetry={() => void models.refetch()} eventsHref={eventsHref} />
    </div>
  );
}

export function OverviewPage() {
  const project = useCurrentProject();
  const client = useQueryClient();
  const hasEvents = useHasEvents(project.id, true);
  const fetching = useIsFetching({ queryKey: ["stats", project.id] }) > 0;
  const wasEmpty = useRef(false);
  const [justArrived, setJustArrived] = useState(false);

  useEffect(() => {
    if (hasEvents.data === false) wasEmpty.current = true;
    if (hasEvents.data === true && wasEmpty.current) {
      wasEmpty.current = false;
      setJustArrived(true);
      void client.invalidateQueries({ queryKey: ["stats", project.id] });
    }
  }, [hasEvents.data, client, project.id]);

  let body;
  if (hasEvents.isPending) body = <LoadingState />;
  else if (hasEvents.error && hasEvents.data === undefined) body = <ErrorState error={hasEvents.error} onRetry={() => void hasEvents.refetch()} />;
  else if (hasEvents.data === false) body = <FirstRun project={project} />;
  else body = <Dashboard />;

  return (
    <>
      <PageHeader title="Overview">
        {hasEvents.data === true && (
          <>
            <TimeRangePicker />
            <RefreshPicker fetching={fetching} />
          </>
        )}
      </PageHeader>
      {justArrived && (
        <p role="status" className="mb-3 rounded border border-ok/50 bg-ok/10 px-3 py-2 text-sm text-ok">
          Your first event arrived. The panels below now show this project's data.
        </p>
      )}
      {body}
    </>
  );
}
