/** The accounting read: accepted vs stored vs dead-lettered for a project over the selected range. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { Accounting } from "../../types/api";

export function accountingPath(projectId: string): string {
  return `/api/v1/projects/${encodeURIComponent(projectId)}/accounting`;
}

export function useAccounting(projectId: string, from: string, to: string) {
  return useQuery({
    // Under "stats" so that the refresh picker's invalidation and fetching indicator include it.
    queryKey: ["stats", projectId, "accounting", from, to],
    queryFn: ({ signal }) => apiRequest<Accounting>(accountingPath(projectId), { query: { from, to }, signal }),
    placeholderData: keepPreviousData,
  });
}
