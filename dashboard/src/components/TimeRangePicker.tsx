/** Time range (presets or a custom from/to) and auto-refresh, bound to the URL through useTimeRange. */
import { useState, type FormEvent } from "react";
import { useTimeRange } from "../hooks/time-range";
import {
  PRESETS,
  REFRESH_OPTIONS,
  describeRange,
  fromLocalInput,
  isPreset,
  presetLabel,
  refreshApplies,
  toLocalInput,
  validateCustomRange,
  type Refresh,
} from "../lib/time-range";
import { Button } from "./ui/Button";
import { controlClass } from "./ui/fields";

const REFRESH_LABELS: Record<Refresh, string> = { off: "Off", "5s": "5s", "30s": "30s", "1m": "1m" };

export function TimeRangePicker() {
  const { spec, range, setRange } = useTimeRange();
  const [editing, setEditing] = useState(false);
  const [fromText, setFromText] = useState("");
  const [toText, setToText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const selected = editing || spec.kind === "custom" ? "custom" : spec.preset;

  const openCustom = () => {
    setFromText(toLocalInput(range.from));
    setToText(toLocalInput(range.to));
    setProblem(null);
    setEditing(true);
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const from = fromLocalInput(fromText);
    const to = fromLocalInput(toText);
    const error = validateCustomRange(from, to);
    setProblem(error);
    if (error || !from || !to) return;
    setRange({ kind: "custom", from, to });
    setEditing(false);
  };

  return (
    <div className="flex flex-wrap items-center gap-2">
      <label className="sr-only" htmlFor="time-range">
        Time range
      </label>
      <select
        id="time-range"
        className={`${controlClass} w-auto`}
        value={selected}
        title={describeRange(spec)}
        onChange={(e) => {
          const value = e.target.value;
          if (isPreset(value)) {
            setEditing(false);
            setRange({ kind: "preset", preset: value });
          } else openCustom();
        }}
      >
        {PRESETS.map((p) => (
          <option key={p} value={p}>
            {presetLabel(p)}
          </option>
        ))}
        <option value="custom">{spec.kind === "custom" && !editing ? describeRange(spec) : "Custom range…"}</option>
      </select>
      {spec.kind === "custom" && !editing && (
        <Button size="sm" variant="ghost" onClick={openCustom}>
          Edit
        </Button>
      )}
      {editing && (
        <form className="flex flex-wrap items-center gap-2" onSubmit={apply} aria-label="Custom time range">
          <label className="flex items-center gap-1 text-xs text-muted">
            From
            <input type="datetime-local" className={`${controlClass} w-auto`} value={fromText} onChange={(e) => setFromText(e.target.value)} />
          </label>
          <label className="flex items-center gap-1 text-xs text-muted">
            To
            <input type="datetime-local" className={`${controlClass} w-auto`} value={toText} onChange={(e) => setToText(e.target.value)} />
          </label>
          <Button size="sm" variant="primary" type="submit">
            Apply
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setEditing(false)}>
            Cancel
          </Button>
          {problem && (
            <p role="alert" className="text-xs text-bad">
              {problem}
            </p>
          )}
        </form>
      )}
    </div>
  );
}

export function RefreshPicker({ fetching = false }: { fetching?: boolean }) {
  const { refresh, setRefresh, refreshNow, spec } = useTimeRange();
  const applies = refreshApplies(spec);
  return (
    <div className="flex items-center gap-1">
      <Button size="sm" onClick={refreshNow} aria-label="Refresh now" title="Refresh now">
        <span aria-hidden="true" className={fetching ? "inline-block animate-spin" : "inline-block"}>
          ↻
        </span>
      </Button>
      <label className="sr-only" htmlFor="auto-refresh">
        Auto-refresh
      </label>
      <select
        id="auto-refresh"
        className={`${controlClass} w-auto`}
        value={refresh}
        disabled={!applies}
        title={applies ? "Auto-refresh" : "A custom range does not move: auto-refresh is off"}
        onChange={(e) => setRefresh(e.target.value as Refresh)}
      >
        {REFRESH_OPTIONS.map((r) => (
          <option key={r} value={r}>
            {r === "off" ? "Auto-refresh: off" : `Every ${REFRESH_LABELS[r]}`}
          </option>
        ))}
      </select>
    </div>
  );
}
