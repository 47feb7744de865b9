/** Create or edit an alert rule: the fields follow the kind; errors are shown per field after a submit. */
import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from "react";
import { Button } from "../../components/ui/Button";
import { controlClass } from "../../components/ui/fields";
import { FormError } from "../../components/ui/States";
import {
  KINDS,
  MAX_CHANNELS,
  MAX_WINDOW_MINUTES,
  RULE_KINDS,
  emptyForm,
  formFromRule,
  toPatch,
  toSpec,
  validateForm,
  type FormErrors,
  type FormField,
  type Rule,
  type RuleForm as FormState,
  type RuleKind,
  type RulePatch,
  type RuleSpec,
} from "./rule-form";

function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: ReactNode; children: (props: { id: string; "aria-invalid": boolean | undefined; "aria-describedby": string | undefined }) => ReactNode }) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
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
    </div>
  );
}

function Input({ label, error, hint, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(a11y) => <input className={controlClass} {...rest} {...a11y} />}
    </Field>
  );
}

interface Props {
  /** The rule being edited; null to create one. */
  editing: Rule | null;
  busy: boolean;
  error: unknown;
  onCreate: (spec: RuleSpec) => void;
  onUpdate: (ruleId: string, patch: RulePatch) => void;
  onCancel: () => void;
}

export function RuleForm({ editing, busy, error, onCreate, onUpdate, onCancel }: Props) {
  const [form, setForm] = useState<FormState>(() => (editing ? formFromRule(editing) : emptyForm()));
  const [errors, setErrors] = useState<FormErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const info = KINDS[form.kind];

  const set = <K extends FormField>(field: K, value: FormState[K]) => {
    const next = { ...form, [field]: value };
    setForm(next);
    if (submitted) setErrors(validateForm(next, editing));
  };
  const text = (field: Exclude<FormField, "kind" | "enabled">) => ({
    name: field,
    value: form[field],
    onChange: (e: { target: { value: string } }) => set(field, e.target.value),
    error: errors[field],
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const found = validateForm(form, editing);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (editing) onUpdate(editing.id, toPatch(form));
    else onCreate(toSpec(form));
  };

  const channelsHint = editing
    ? editing.channelsUnreadable
      ? "The stored channel URLs cannot be read any more (the server's secret key changed): enter them again."
      : `Leave empty to keep the ${editing.channels.length} existing channel${editing.channels.length === 1 ? "" : "s"} (${editing.channels.join(", ")}); URLs typed here replace them all.`
    : `Apprise URLs, one per line (at most ${MAX_CHANNELS}), e.g. json://hooks.example.com/lynex or slack://…`;

  return (
    <form onSubmit={submit} noValidate aria-label={editing ? `Edit rule ${editing.name}` : "Create an alert rule"} className="flex flex-col gap-3" data-testid="rule-form">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Input label="Name" maxLength={200} placeholder="e.g. gpt-4o error spike" autoFocus {...text("name")} />
        <Field label="Kind">
          {(a11y) => (
            <select className={controlClass} name="kind" value={form.kind} onChange={(e) => set("kind", e.target.value as RuleKind)} {...a11y}>
              {RULE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KINDS[k].label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Input label={info.thresholdLabel} inputMode="decimal" {...text("threshold")} />
        {info.usesErrorType && <Input label="Error type" placeholder="e.g. rate_limit" maxLength={256} {...text("errorType")} />}
        <Input label="Window (minutes)" inputMode="numeric" hint={`1–${MAX_WINDOW_MINUTES}`} {...text("windowMinutes")} />
        {info.usesMinRequests && <Input label="Minimum requests in window" inputMode="numeric" {...text("minRequests")} />}
        <Input label="Model (optional)" placeholder="All models" maxLength={256} {...text("model")} />
        <Input label="Cooldown (seconds)" inputMode="numeric" hint="At most one notification per cooldown (300 = 5 min)" {...text("cooldownS")} />
        <div className="flex items-center gap-2 self-end pb-1.5">
          <input id="rule-enabled" type="checkbox" checked={form.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          <label htmlFor="rule-enabled" className="text-sm">
            Enabled
          </label>
        </div>
      </div>
      <Field label="Channel URLs" error={errors.channels} hint={channelsHint}>
        {(a11y) => (
          <textarea
            className={`${controlClass} min-h-20 font-mono`}
            name="channels"
            rows={3}
            spellCheck={false}
            placeholder={editing && !editing.channelsUnreadable ? "Keep existing channels" : "json://hooks.example.com/lynex"}
            value={form.channels}
            onChange={(e) => set("channels", e.target.value)}
            {...a11y}
          />
        )}
      </Field>
      <FormError error={error} />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={busy}>
          {editing ? "Save rule" : "Create rule"}
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
