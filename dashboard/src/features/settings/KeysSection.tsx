/** API keys of the current project: create (secret shown once, with a copy button), revoke, usage. */
import { useState, type FormEvent } from "react";
import { Button } from "../../components/ui/Button";
import { ConfirmButton } from "../../components/ui/ConfirmButton";
import { CopyButton } from "../../components/ui/CopyButton";
import { TextField } from "../../components/ui/fields";
import { Panel } from "../../components/ui/Panel";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/ui/States";
import { formatCount, formatDateTime, formatRelative, formatTimestamp } from "../../lib/format";
import type { CreatedKey, Project } from "../../types/api";
import { isActive, useCreateKey, useKeys, useRevokeKey } from "../keys/api";

function NewSecret({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  return (
    <div role="status" className="mb-3 flex flex-col gap-2 rounded border border-ok/50 bg-ok/10 p-3 text-sm" data-testid="new-key-secret">
      <p className="font-medium">
        Key “{created.key.name}” created. Copy the secret now: it is shown only this once.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <code className="break-all rounded bg-panel px-2 py-1" data-testid="secret-value">
          {created.secret}
        </code>
        <CopyButton text={created.secret} label="Copy secret" />
        <Button size="sm" variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}

export function KeysSection({ project }: { project: Project }) {
  const keys = useKeys(project.id, { refetchInterval: 15_000 });
  const create = useCreateKey(project.id);
  const revoke = useRevokeKey(project.id);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedKey | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    create.mutate(trimmed, {
      onSuccess: (result) => {
        setCreated(result);
        setName("");
      },
    });
  };

  let list;
  if (keys.isPending) list = <LoadingState label="Loading keys…" />;
  else if (keys.error) list = <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />;
  else if (keys.data.length === 0) list = <EmptyState title="No API keys yet">Create one to send events.</EmptyState>;
  else
    list = (
      <div className="overflow-x-auto">
        <table className="w-full text-sm tabular-nums">
          <caption className="sr-only">API keys of {project.name}</caption>
          <thead className="text-left text-xs text-muted">
            <tr className="border-b border-line">
              <th scope="col" className="py-1.5 pr-3 font-medium">Name</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Key</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Created</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Last used</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Events accepted</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Status</th>
              <th scope="col" className="py-1.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id} className="border-b border-line/60 last:border-0" data-key-id={k.id} data-key-name={k.name}>
                <th scope="row" className="py-1.5 pr-3 text-left font-normal">{k.name}</th>
                <td className="py-1.5 pr-3"><code className="text-xs">{k.prefix}…</code></td>
                <td className="py-1.5 pr-3" title={formatTimestamp(k.createdAt)}>{formatDateTime(k.createdAt)}</td>
                <td className="py-1.5 pr-3" title={k.lastUsedAt ? formatTimestamp(k.lastUsedAt) : undefined}>{formatRelative(k.lastUsedAt)}</td>
                <td className="py-1.5 pr-3 text-right" data-testid="key-usage">{formatCount(k.eventsAccepted)}</td>
                <td className="py-1.5 pr-3">
                  {isActive(k) ? (
                    <span className="text-ok">Active</span>
                  ) : (
                    <span className="text-muted" title={formatTimestamp(k.revokedAt)}>Revoked {formatDateTime(k.revokedAt)}</span>
                  )}
                </td>
                <td className="py-1.5 text-right">
                  {isActive(k) && project.role === "owner" && (
                    <ConfirmButton
                      label="Revoke"
                      confirmLabel="Revoke key"
                      question={`Revoke “${k.name}”? Clients using it get 403 within seconds.`}
                      busy={revoke.isPending && revoke.variables === k.id}
                      onConfirm={() => revoke.mutate(k.id)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <Panel title="API keys" hint={project.name}>
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      <form onSubmit={submit} className="mb-3 flex flex-wrap items-end gap-2" aria-label="Create an API key">
        <div className="w-64">
          <TextField label="New key name" name="keyName" placeholder="e.g. production backend" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </div>
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
          Create key
        </Button>
      </form>
      <FormError error={create.error ?? revoke.error} />
      {list}
    </Panel>
  );
}
