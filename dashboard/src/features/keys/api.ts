/** A project's API keys: list (with last use and usage), create (the secret comes back once), revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { ApiKey, CreatedKey } from "../../types/api";
import { rememberSecret } from "./secrets";

export function keysKey(projectId: string) {
  return ["projects", projectId, "keys"] as const;
}

function keysPath(projectId: string): string {
  return `/api/v1/projects/${encodeURIComponent(projectId)}/keys`;
}

export function useKeys(projectId: string, options: { refetchInterval?: number | false } = {}) {
  return useQuery({
    queryKey: keysKey(projectId),
    queryFn: ({ signal }) => apiRequest<{ keys: ApiKey[] }>(keysPath(projectId), { signal }).then((r) => r.keys),
    refetchInterval: options.refetchInterval ?? false,
  });
}

export function useCreateKey(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => apiRequest<CreatedKey>(keysPath(projectId), { method: "POST", body: { name } }),
    onSuccess: (created) => {
      rememberSecret(projectId, created);
      return client.invalidateQueries({ queryKey: keysKey(projectId) });
    },
  });
}

export function useRevokeKey(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) => apiRequest<void>(`${keysPath(projectId)}/${encodeURIComponent(keyId)}`, { method: "DELETE" }),
    onSuccess: () => client.invalidateQueries({ queryKey: keysKey(projectId) }),
  });
}

export function isActive(key: ApiKey): boolean {
  return key.revokedAt === null;
}
