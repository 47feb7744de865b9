/** Read-API queries behind the events explorer: one page of summaries, one event in full. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { EventDetail, EventPage } from "../../types/api";

export interface EventFilters {
  type: string | null;
  model: string | null;
  status: string | null;
}

export interface EventListArgs extends EventFilters {
  projectId: string;
  from: string;
  /** Null for "up to now": the server then also shows events from clients whose clock runs fast. */
  to: string | null;
  cursor: string | null;
  limit: number;
}

export function useEventPage(args: EventListArgs, options: { refetchInterval?: number | false; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ["events", args.projectId, "list", args],
    queryFn: ({ signal }) =>
      apiRequest<EventPage>("/api/v1/events", {
        query: {
          project_id: args.projectId,
          limit: args.limit,
          cursor: args.cursor,
          type: args.type,
          model: args.model,
          status: args.status,
          from: args.from,
          to: args.to,
        },
        signal,
      }),
    placeholderData: keepPreviousData,
    refetchInterval: options.refetchInterval ?? false,
    enabled: options.enabled ?? true,
  });
}

export function useEvent(projectId: string, eventId: string | null) {
  return useQuery({
    queryKey: ["events", projectId, "detail", eventId],
    queryFn: ({ signal }) =>
      apiRequest<EventDetail>(`/api/v1/events/${encodeURIComponent(eventId ?? "")}`, { query: { project_id: projectId }, signal }),
    enabled: eventId !== null,
    staleTime: Infinity,
  });
}

/** Does the project hold any event at all (of any age still stored)? Polls while it has none. */
export function useHasEvents(projectId: string, poll: boolean) {
  return useQuery({
    queryKey: ["events", projectId, "any"],
    queryFn: ({ signal }) =>
      apiRequest<EventPage>("/api/v1/events", { query: { project_id: projectId, limit: 1 }, signal }).then((page) => page.events.length > 0),
    refetchInterval: (query) => (poll && query.state.data !== true ? 2000 : false),
  });
}
