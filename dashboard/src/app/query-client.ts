/** The one QueryClient: server state lives here only. A 401 anywhere means the session ended. */
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ME_KEY } from "../features/auth/api";
import { ApiError } from "../lib/api-client";

export function createQueryClient({ retry = true }: { retry?: boolean } = {}): QueryClient {
  const onError = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) client.setQueryData(ME_KEY, null);
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Retry network hiccups and 5xx, never a 4xx: the answer will not change.
        retry: (failures, error) => retry && !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      },
    },
  });
  return client;
}
