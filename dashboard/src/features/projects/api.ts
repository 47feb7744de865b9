/** Projects of the signed-in user: list, create, rename, delete. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { Project } from "../../types/api";
import { ME_KEY } from "../auth/api";

export const PROJECTS_KEY = ["projects"] as const;

export function useProjects() {
  return useQuery({
    queryKey: PROJECTS_KEY,
    queryFn: ({ signal }) => apiRequest<{ projects: Project[] }>("/api/v1/projects", { signal }).then((r) => r.projects),
  });
}

function useInvalidateProjects() {
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: PROJECTS_KEY }), client.invalidateQueries({ queryKey: ME_KEY })]);
}

export function useCreateProject() {
  const invalidate = useInvalidateProjects();
  return useMutation({
    mutationFn: (name: string) => apiRequest<Project>("/api/v1/projects", { method: "POST", body: { name } }),
    onSuccess: invalidate,
  });
}

export function useRenameProject() {
  const invalidate = useInvalidateProjects();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) =>
      apiRequest<Project>(`/api/v1/projects/${encodeURIComponent(id)}`, { method: "PATCH", body: { name } }),
    onSuccess: invalidate,
  });
}

export function useDeleteProject() {
  const invalidate = useInvalidateProjects();
  return useMutation({
    mutationFn: (id: string) => apiRequest<void>(`/api/v1/projects/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: invalidate,
  });
}

const LAST_PROJECT_KEY = "lynex.lastProject";

export function rememberProject(id: string): void {
  try {
    localStorage.setItem(LAST_PROJECT_KEY, id);
  } catch {
    // Not persisted: the first project is the default.
  }
}

/** The project to open at `/`: the last one used if the user still has it, else the first. */
export function pickProject(projects: Project[]): Project | null {
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_PROJECT_KEY);
  } catch {
    last = null;
  }
  return projects.find((p) => p.id === last) ?? projects[0] ?? null;
}
