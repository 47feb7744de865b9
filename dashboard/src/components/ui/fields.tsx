/** Labelled form controls: the label is always a real <label>, so every control has a name; an error is tied to its control. */
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";

const CONTROL = "w-full rounded border border-line bg-panel-2 px-2 py-1.5 text-sm text-fg placeholder:text-muted focus:border-accent focus:outline-none aria-[invalid=true]:border-bad";

/** `aria-invalid` and `aria-describedby` for a control with an optional hint and error below it. */
function described(id: string, hint: ReactNode, error: string | null | undefined) {
  const ids = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ");
  return { "aria-invalid": error ? true : undefined, "aria-describedby": ids || undefined };
}

function Below({ id, hint, error }: { id: string; hint: ReactNode; error: string | null | undefined }) {
  return (
    <>
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs text-bad">
          {error}
        </p>
      )}
    </>
  );
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  /** Shown below the control in the error colour, and announced with it. */
  error?: string | null;
}

export function TextField({ label, hint, error, ...rest }: InputHTMLAttributes<HTMLInputElement> & FieldProps) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      <input id={id} className={CONTROL} {...described(id, hint, error)} {...rest} />
      <Below id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({ label, hint, error, children, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & FieldProps) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      <select id={id} className={CONTROL} {...described(id, hint, error)} {...rest}>
        {children}
      </select>
      <Below id={id} hint={hint} error={error} />
    </div>
  );
}

export const controlClass = CONTROL;
