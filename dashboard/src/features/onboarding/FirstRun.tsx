/**
 * An empty project's overview: how to send the first event, with the project's endpoint and (once one
 * is created here) its real key. The parent polls for events and swaps this out when one arrives.
 */
import { useId, useState, type KeyboardEvent } from "react";
import { Button } from "../../components/ui/Button";
import { CopyButton } from "../../components/ui/CopyButton";
import { FormError, Spinner } from "../../components/ui/States";
import type { Project } from "../../types/api";
import { isActive, useCreateKey, useKeys } from "../keys/api";
import { useFreshSecret } from "../keys/secrets";
import { buildSnippets, ingestUrl, type Snippet } from "./snippets";

function SnippetTabs({ snippets }: { snippets: Snippet[] }) {
  const [active, setActive] = useState(0);
  const base = useId();
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    e.preventDefault();
    const next = (active + (e.key === "ArrowRight" ? 1 : snippets.length - 1)) % snippets.length;
    setActive(next);
    document.getElementById(`${base}-tab-${next}`)?.focus();
  };
  const current = snippets[active] ?? snippets[0];
  if (!current) return null;
  return (
    <div>
      <div role="tablist" aria-label="Snippet language" className="flex gap-1 border-b border-line" onKeyDown={onKeyDown}>
        {snippets.map((s, i) => (
          <button
            key={s.id}
            id={`${base}-tab-${i}`}
            type="button"
            role="tab"
            aria-selected={i === active}
            aria-controls={`${base}-panel`}
            tabIndex={i === active ? 0 : -1}
            onClick={() => setActive(i)}
            className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${i === active ? "border-accent text-fg" : "border-transparent text-muted hover:text-fg"}`}
          >
            {s.label}
          </button>
        ))}
      </div>
      <div id={`${base}-panel`} role="tabpanel" aria-labelledby={`${base}-tab-${active}`} className="relative mt-2">
        <div className="absolute right-2 top-2">
          <CopyButton text={current.code} label={`Copy ${current.label}`} />
        </div>
        <pre className="overflow-x-auto rounded border border-line bg-panel-2 p-3 pr-28 text-xs leading-relaxed" data-snippet={current.id}>
          <code>{current.code}</code>
        </pre>
      </div>
    </div>
  );
}

export function FirstRun({ project, origin = window.location.origin }: { project: Project; origin?: string }) {
  const keys = useKeys(project.id);
  const fresh = useFreshSecret(project.id);
  const create = useCreateKey(project.id);
  // A key revoked since (in settings, say) no longer belongs in the snippets.
  const freshStillValid = fresh !== null && !keys.data?.some((k) => k.id === fresh.key.id && !isActive(k));
  const secret = freshStillValid ? fresh.secret : null;
  const activeKeys = keys.data?.filter(isActive) ?? [];
  const snippets = buildSnippets({ origin, apiKey: secret });

  return (
    <section aria-labelledby="first-run-title" className="mx-auto flex max-w-3xl flex-col gap-4 rounded-md border border-line bg-panel p-5">
      <div>
        <h2 id="first-run-title" className="text-lg font-semibold">
          Send your first event to {project.name}
        </h2>
        <p className="mt-1 text-sm text-muted">
          Events go to <code className="text-fg">{ingestUrl(origin)}</code> with the header <code className="text-fg">X-API-Key</code>. This page
          updates as soon as the first one arrives.
        </p>
      </div>

      <div className="rounded border border-line bg-panel-2 p-3 text-sm">
        <h3 className="mb-2 font-medium">1. An API key</h3>
        {secret ? (
          <div className="flex flex-col gap-2">
            <p className="text-muted">Your new key (shown once; the snippets below already use it):</p>
            <div className="flex flex-wrap items-center gap-2">
              <code className="break-all rounded bg-panel px-2 py-1 text-fg" data-testid="first-run-secret">
                {secret}
              </code>
              <CopyButton text={secret} label="Copy key" />
            </div>
          </div>
        ) : (
          <div className="flex flex-col gap-2">
            <p className="text-muted">
              {activeKeys.length > 0
                ? `This project has ${activeKeys.length} active key${activeKeys.length === 1 ? "" : "s"}; secrets are shown only when a key is created. Use one you saved, or create one now.`
                : "This project has no API key yet."}
            </p>
            <div>
              <Button variant="primary" busy={create.isPending} onClick={() => create.mutate("first key")}>
                Create an API key
              </Button>
            </div>
            <FormError error={create.error ?? keys.error} />
          </div>
        )}
      </div>

      <div className="text-sm">
        <h3 className="mb-2 font-medium">2. Send an event</h3>
        <SnippetTabs snippets={snippets} />
      </div>

      <p className="flex items-center gap-2 text-sm text-muted" role="status" aria-live="polite">
        <Spinner label="Waiting" /> Waiting for the first event…
      </p>
    </section>
  );
}
