/** Loading, empty and error states, shared by every panel and page. */
import type { ReactNode } from "react";
import { describeError } from "../../lib/api-client";
import { Button } from "./Button";

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span role="status" aria-label={label} className="inline-block h-4 w-4 animate-spin rounded-full border-2 border-muted border-t-transparent" />
  );
}

export function LoadingState({ label = "Loading…", className = "" }: { label?: string; className?: string }) {
  return (
    <div className={`flex items-center justify-center gap-2 py-8 text-sm text-muted ${className}`} role="status" aria-live="polite">
      <span aria-hidden="true" className="inline-block h-4 w-4 animate-spin rounded-full border-2 border-muted border-t-transparent" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, className = "" }: { title: string; children?: ReactNode; className?: string }) {
  return (
    <div className={`flex flex-col items-center justify-center gap-1 py-8 text-center text-sm text-muted ${className}`}>
      <p className="font-medium text-fg">{title}</p>
      {children}
    </div>
  );
}

export function ErrorState({ error, onRetry, className = "" }: { error: unknown; onRetry?: () => void; className?: string }) {
  return (
    <div role="alert" className={`flex flex-col items-center justify-center gap-2 py-6 text-center text-sm ${className}`}>
      <p className="text-bad">{describeError(error)}</p>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}

/** An inline error message for forms. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="rounded border border-bad/40 bg-bad/10 px-3 py-2 text-sm text-bad">
      {describeError(error)}
    </p>
  );
}
