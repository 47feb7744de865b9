/** The user's projects: create, rename, delete (owners only). */
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Button } from "../../components/ui/Button";
import { ConfirmButton } from "../../components/ui/ConfirmButton";
import { TextField, controlClass } from "../../components/ui/fields";
import { Panel } from "../../components/ui/Panel";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/ui/States";
import { formatDateTime } from "../../lib/format";
import type { Project } from "../../types/api";
import { useCreateProject, useDeleteProject, useProjects, useRenameProject } from "../projects/api";
import { projectPath } from "../projects/current";

function RenameForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const rename = useRenameProject();
  const [name, setName] = useState(project.name);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || trimmed === project.name) return onDone();
    rename.mutate({ id: project.id, name: trimmed }, { onSuccess: onDone });
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-center gap-2" aria-label={`Rename ${project.name}`}>
      <label className="sr-only" htmlFor={`rename-${project.id}`}>Project name</label>
      <input id={`rename-${project.id}`} className={`${controlClass} w-48`} value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={200} onKeyDown={(e) => e.key === "Escape" && onDone()} />
      <Button size="sm" type="submit" variant="primary" busy={rename.isPending}>Save</Button>
      <Button size="sm" variant="ghost" onClick={onDone}>Cancel</Button>
      <FormError error={rename.error} />
    </form>
  );
}

export function ProjectsSection({ current }: { current: Project }) {
  const projects = useProjects();
  const create = useCreateProject();
  const remove = useDeleteProject();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [renaming, setRenaming] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    create.mutate(trimmed, {
      onSuccess: (project) => {
        setName("");
        navigate(projectPath.overview(project.id));
      },
    });
  };

  let list;
  if (projects.isPending) list = <LoadingState label="Loading projects…" />;
  else if (projects.error) list = <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />;
  else if (projects.data.length === 0) list = <EmptyState title="No projects" />;
  else
    list = (
      <ul className="divide-y divide-line/60">
        {projects.data.map((p) => (
          <li key={p.id} className="flex flex-wrap items-center justify-between gap-2 py-2" data-project-id={p.id}>
            {renaming === p.id ? (
              <RenameForm project={p} onDone={() => setRenaming(null)} />
            ) : (
              <div className="flex flex-col">
                <span className="font-medium">
                  {p.name} {p.id === current.id && <span className="ml-1 rounded bg-accent/15 px-1.5 py-0.5 text-xs text-accent">current</span>}
                </span>
                <span className="text-xs text-muted">
                  id <code>{p.id}</code> · {p.role} · created {formatDateTime(p.createdAt)}
                </span>
              </div>
            )}
            {renaming !== p.id && (
              <div className="flex items-center gap-2">
                {p.role === "owner" && (
                  <Button size="sm" onClick={() => setRenaming(p.id)}>Rename</Button>
                )}
                {p.role === "owner" && (
                  <ConfirmButton
                    label="Delete"
                    confirmLabel="Delete project"
                    question={`Delete “${p.name}” and revoke its keys?`}
                    busy={remove.isPending && remove.variables === p.id}
                    onConfirm={() =>
                      remove.mutate(p.id, {
                        onSuccess: () => {
                          if (p.id === current.id) navigate("/", { replace: true });
                        },
                      })
                    }
                  />
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
    );

  return (
    <Panel title="Projects">
      {list}
      <form onSubmit={submit} className="mt-3 flex flex-wrap items-end gap-2 border-t border-line pt-3" aria-label="Create a project">
        <div className="w-64">
          <TextField label="New project name" name="projectName" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </div>
        <Button type="submit" busy={create.isPending} disabled={!name.trim()}>Create project</Button>
      </form>
      <FormError error={create.error ?? remove.error} />
    </Panel>
  );
}
