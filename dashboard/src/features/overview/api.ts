/** Read-API queries behind the overview: stat numbers, time series and the per-model breakdown. */
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { Interval, Metric, ModelBreakdown, Overview, TimeSeries } from "../../types/api";

export interface WindowArgs {
  projectId: string;
  from: string;
  to: string;
}

export function useOverview({ projectId, from, to }: WindowArgs) {
  return useQuery({
    queryKey: ["stats", projectId, "overview", from, to],
    queryFn: ({ signal }) => apiRequest<Overview>("/api/v1/stats/overview", { query: { project_id: projectId, from, to }, signal }),
    placeholderData: keepPreviousData,
  });
}

export interface SeriesQuery {
  metric: Metric;
  groupBy?: "model";
}

export function timeseriesOptions(args: WindowArgs & { interval: Interval }, q: SeriesQuery) {
  return {
    queryKey: ["stats", args.projectId, "timeseries", q.metric, q.groupBy ?? null, args.interval, args.from, args.to] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      apiRequest<TimeSeries>("/api/v1/stats/timeseries", {
        query: { project_id: args.projectId, metric: q.metric, interval: args.interval, from: args.from, to: args.to, groupBy: q.groupBy },
        signal,
      }),
    placeholderData: keepPreviousData,
  };
}

/** Every query of one panel; the result is pending until all are in, and failed if any failed. */
export function usePanelSeries(args: WindowArgs & { interval: Interval }, queries: SeriesQuery[]) {
  return useQueries({
    queries: queries.map((q) => timeseriesOptions(args, q)),
    combine: (results) => ({
      data: results.every((r) => r.data) ? results.map((r) => r.data as TimeSeries) : undefined,
      isPending: results.some((r) => r.isPending),
      isFetching: results.some((r) => r.isFetching),
      error: results.find((r) => r.error)?.error ?? null,
      refetch: () => results.forEach((r) => void r.refetch()),
    }),
  });
}

export function useModelBreakdown({ projectId, from, to }: WindowArgs) {
  return useQuery({
    queryKey: ["stats", projectId, "models", from, to],
    queryFn: ({ signal }) => apiRequest<ModelBreakdown>("/api/v1/stats/models", { query: { project_id: projectId, from, to }, signal }),
    placeholderData: keepPreviousData,
  });
}
