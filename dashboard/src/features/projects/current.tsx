/** The project a page shows, provided by the project layout from the `:projectId` route parameter. */
import { createContext, useContext } from "react";
import type { Project } from "../../types/api";

export const ProjectContext = createContext<Project | null>(null);

export function useCurrentProject(): Project {
  const project = useContext(ProjectContext);
  if (!project) throw new Error("useCurrentProject outside a project route");
  return project;
}

/** Paths of a project's pages. */
export const projectPath = {
  overview: (id: string) => `/projects/${encodeURIComponent(id)}/overview`,
  events: (id: string) => `/projects/${encodeURIComponent(id)}/events`,
  alerts: (id: string) => `/projects/${encodeURIComponent(id)}/alerts`,
  accounting: (id: string) => `/projects/${encodeURIComponent(id)}/accounting`,
  settings: (id: string) => `/projects/${encodeURIComponent(id)}/settings`,
};
