/** Every route of the dashboard; protected ones sit under RequireAuth. Deep links work: the server falls back to index.html. */
import { Suspense, lazy, useEffect, useState, type FormEvent } from "react";
import { Link, Navigate, Outlet, useLocation, useNavigate, useParams, type RouteObject } from "react-router";
import { Button } from "../components/ui/Button";
import { TextField } from "../components/ui/fields";
import { EmptyState, ErrorState, FormError, LoadingState } from "../components/ui/States";
import { TimeRangeProvider } from "../hooks/time-range";
import { useMe } from "../features/auth/api";
import { LoginPage, SignupPage } from "../features/auth/AuthPages";
import { pickProject, rememberProject, useCreateProject } from "../features/projects/api";
import { ProjectContext, projectPath } from "../features/projects/current";
import { AppShell } from "./AppShell";

// Pages load on first visit: the charting code is only fetched by pages that draw charts.
const OverviewPage = lazy(() => import("../features/overview/OverviewPage").then((m) => ({ default: m.OverviewPage })));
const EventsPage = lazy(() => import("../features/events/EventsPage").then((m) => ({ default: m.EventsPage })));
const AlertsPage = lazy(() => import("../features/alerts/AlertsPage").then((m) => ({ default: m.AlertsPage })));
const AccountingPage = lazy(() => import("../features/accounting/AccountingPage").then((m) => ({ default: m.AccountingPage })));
const SettingsPage = lazy(() => import("../features/settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));

function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <LoadingState className="min-h-screen" />;
  if (me.error) return <ErrorState className="min-h-screen" error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

function HomeRedirect() {
  const me = useMe();
  if (!me.data) return null;
  const project = pickProject(me.data.projects);
  return <Navigate to={project ? projectPath.overview(project.id) : "/welcome"} replace />;
}

function WelcomePage() {
  const me = useMe();
  const create = useCreateProject();
  const navigate = useNavigate();
  const [name, setName] = useState("My first project");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    create.mutate(name.trim(), { onSuccess: (project) => navigate(projectPath.overview(project.id)) });
  };
  if (me.data && me.data.projects.length > 0 && !create.isPending && !create.isSuccess) {
    const project = pickProject(me.data.projects);
    if (project) return <Navigate to={projectPath.overview(project.id)} replace />;
  }
  return (
    <AppShell project={null}>
      <section className="mx-auto mt-8 max-w-md rounded-md border border-line bg-panel p-6" aria-labelledby="welcome-title">
        <h1 id="welcome-title" className="mb-1 text-xl font-semibold">Welcome to Lynex</h1>
        <p className="mb-4 text-sm text-muted">A project holds the events of one application. Name your first one; you can add more later.</p>
        <form onSubmit={submit} className="flex flex-col gap-3">
          <TextField label="Project name" name="projectName" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoFocus />
          <FormError error={create.error} />
          <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
            Create project
          </Button>
        </form>
      </section>
    </AppShell>
  );
}

function ProjectLayout() {
  const { projectId = "" } = useParams();
  const me = useMe();
  const project = me.data?.projects.find((p) => p.id === projectId) ?? null;
  useEffect(() => {
    if (project) rememberProject(project.id);
  }, [project]);
  if (!project)
    return (
      <AppShell project={null}>
        <EmptyState title="Project not found">
          <p>It does not exist, or your account is not a member of it.</p>
          <Link to="/" className="text-accent underline">Go to your projects</Link>
        </EmptyState>
      </AppShell>
    );
  return (
    <ProjectContext.Provider value={project}>
      <TimeRangeProvider>
        <AppShell project={project}>
          <Suspense fallback={<LoadingState />}>
            <Outlet />
          </Suspense>
        </AppShell>
      </TimeRangeProvider>
    </ProjectContext.Provider>
  );
}

function NotFoundPage() {
  return (
    <main className="flex min-h-screen items-center justify-center">
      <EmptyState title="Page not found">
        <Link to="/" className="text-accent underline">Back to the dashboard</Link>
      </EmptyState>
    </main>
  );
}

export const routes: RouteObject[] = [
  { path: "/login", element: <LoginPage /> },
  { path: "/signup", element: <SignupPage /> },
  {
    element: <RequireAuth />,
    children: [
      { path: "/", element: <HomeRedirect /> },
      { path: "/welcome", element: <WelcomePage /> },
      {
        path: "/projects/:projectId",
        element: <ProjectLayout />,
        children: [
          { index: true, element: <Navigate to="overview" replace /> },
          { path: "overview", element: <OverviewPage /> },
          { path: "events", element: <EventsPage /> },
          { path: "alerts", element: <AlertsPage /> },
          { path: "accounting", element: <AccountingPage /> },
          { path: "settings", element: <SettingsPage /> },
        ],
      },
    ],
  },
  { path: "*", element: <NotFoundPage /> },
];
