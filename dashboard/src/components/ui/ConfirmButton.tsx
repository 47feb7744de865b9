/** A destructive action that asks inline first (no window.confirm: it blocks and is hard to style or test). */
import { useEffect, useRef, useState } from "react";
import { Button } from "./Button";

interface Props {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  busy?: boolean;
  disabled?: boolean;
}

export function ConfirmButton({ label, confirmLabel, question, onConfirm, busy = false, disabled = false }: Props) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <Button size="sm" variant="danger" onClick={() => setAsking(true)} disabled={disabled}>
        {label}
      </Button>
    );
  return (
    <span role="group" aria-label={question} className="inline-flex flex-wrap items-center gap-2">
      <span className="text-xs text-muted">{question}</span>
      <Button
        ref={confirmRef}
        size="sm"
        variant="danger"
        busy={busy}
        onClick={() => {
          onConfirm();
          setAsking(false);
        }}
      >
        {confirmLabel}
      </Button>
      <Button size="sm" variant="ghost" onClick={() => setAsking(false)} onKeyDown={(e) => e.key === "Escape" && setAsking(false)}>
        Cancel
      </Button>
    </span>
  );
}
