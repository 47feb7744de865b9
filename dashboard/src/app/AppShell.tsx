/** The frame of every signed-in page: brand, project switcher, navigation, theme, sign-out. */
import type { ReactNode } from "react";
import { NavLink, useLocation, useNavigate } from "react-router";
import { Button } from "../components/ui/Button";
import { controlClass } from "../components/ui/fields";
import { sharedSearch } from "../hooks/time-range";
import { useLogout, useMe } from "../features/auth/api";
import { forgetSecrets } from "../features/keys/secrets";
import { projectPath } from "../features/projects/current";
import type { Project } from "../types/api";
import { useTheme } from "./theme";

const SECTIONS = [
  { id: "overview", label: "Overview" },
  { id: "events", label: "Events" },
  { id: "alerts", label: "Alerts" },
  { id: "accounting", label: "Data health" },
  { id: "settings", label: "Settings" },
] as const;

function ProjectSwitcher({ current, projects }: { current: Project; projects: Project[] }) {
  const navigate = useNavigate();
  const location = useLocation();
  const section = SECTIONS.find((s) => location.pathname.endsWith(`/${s.id}`))?.id ?? "overview";
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="project-switcher" className="sr-only">
        Project
      </label>
      <select
        id="project-switcher"
        className={`${controlClass} w-48`}
        value={current.id}
        onChange={(e) => navigate(`${projectPath[section](e.target.value)}${sharedSearch(new URLSearchParams(location.search))}`)}
      >
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function AppShell({ project, children }: { project: Project | null; children: ReactNode }) {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const { theme, toggle } = useTheme();
  const search = sharedSearch(new URLSearchParams(location.search));
  const signOut = () =>
    logout.mutate(undefined, {
      onSettled: () => {
        forgetSecrets();
        navigate("/login", { replace: true });
      },
    });

  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-panel focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-line bg-panel">
        <div className="mx-auto flex max-w-[1600px] flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2">
          <NavLink to="/" className="text-lg font-semibold tracking-tight text-accent">
            Lynex
          </NavLink>
          {project && me.data && <ProjectSwitcher current={project} projects={me.data.projects} />}
          {project && (
            <nav aria-label="Main" className="flex items-center gap-1">
              {SECTIONS.map((s) => (
                <NavLink
                  key={s.id}
                  to={`${projectPath[s.id](project.id)}${search}`}
                  className={({ isActive }) => `rounded px-2.5 py-1.5 text-sm ${isActive ? "bg-hover font-medium text-fg" : "text-muted hover:bg-hover hover:text-fg"}`}
                >
                  {s.label}
                </NavLink>
              ))}
            </nav>
          )}
          <div className="ml-auto flex items-center gap-2">
            {me.data && <span className="hidden text-xs text-muted sm:inline" data-testid="user-email">{me.data.user.email}</span>}
            <Button size="sm" variant="ghost" onClick={toggle} aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}>
              {theme === "dark" ? "☀ Light" : "☾ Dark"}
            </Button>
            <Button size="sm" onClick={signOut} busy={logout.isPending}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-[1600px] flex-1 px-4 py-4">
        {children}
      </main>
    </div>
  );
}
