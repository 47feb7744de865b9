/** A project's alert rules (list, create, edit, enable, delete, test) and its alert history. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { Rule, RulePatch, RuleSpec } from "./rule-form";

export interface Delivery {
  channel: string;
  ok: boolean;
  attempts: number;
  seconds: number;
  error?: string;
}

export interface AlertRecord {
  alertId: string;
  ruleId: string;
  ruleName: string;
  kind: string;
  state: "fired" | "resolved" | string;
  repeat: boolean;
  at: string;
  notifiedAt: string;
  value: number;
  threshold: number;
  windowMinutes: number;
  model: string;
  errorType: string;
  deliveries: Delivery[];
}

export function rulesKey(projectId: string) {
  return ["projects", projectId, "rules"] as const;
}

function rulesPath(projectId: string, ruleId?: string): string {
  const base = `/api/v1/projects/${encodeURIComponent(projectId)}/rules`;
  return ruleId === undefined ? base : `${base}/${encodeURIComponent(ruleId)}`;
}

export function useRules(projectId: string) {
  return useQuery({
    queryKey: rulesKey(projectId),
    queryFn: ({ signal }) => apiRequest<{ rules: Rule[] }>(rulesPath(projectId), { signal }).then((r) => r.rules),
  });
}

export function useCreateRule(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (spec: RuleSpec) => apiRequest<Rule>(rulesPath(projectId), { method: "POST", body: spec }),
    onSuccess: () => client.invalidateQueries({ queryKey: rulesKey(projectId) }),
  });
}

export function useUpdateRule(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ ruleId, patch }: { ruleId: string; patch: RulePatch }) =>
      apiRequest<Rule>(rulesPath(projectId, ruleId), { method: "PATCH", body: patch }),
    onSuccess: (updated) => {
      client.setQueryData<Rule[]>(rulesKey(projectId), (rules) => rules?.map((r) => (r.id === updated.id ? updated : r)));
      return client.invalidateQueries({ queryKey: rulesKey(projectId) });
    },
  });
}

export function useDeleteRule(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ruleId: string) => apiRequest<void>(rulesPath(projectId, ruleId), { method: "DELETE" }),
    onSuccess: () => client.invalidateQueries({ queryKey: rulesKey(projectId) }),
  });
}

export function useTestRule(projectId: string) {
  return useMutation({
    mutationFn: (ruleId: string) =>
      apiRequest<{ deliveries: Delivery[] }>(`${rulesPath(projectId, ruleId)}/test`, { method: "POST" }).then((r) => r.deliveries),
  });
}

export function useAlertHistory(projectId: string, from: string, to: string, ruleId: string | null) {
  return useQuery<AlertRecord[]>({
    queryKey: ["projects", projectId, "alert-history", from, to, ruleId],
    queryFn: ({ signal }) =>
      apiRequest<{ alerts: AlertRecord[] }>("/api/v1/alerts/history", {
        query: { project_id: projectId, from, to, rule_id: ruleId },
        signal,
      }).then((r) => r.alerts),
    placeholderData: keepPreviousData,
  });
}
