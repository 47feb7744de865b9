/**
 * Alerts: the project's rules (create, edit, enable/disable, send a test, delete) and the notifications
 * they sent in the page's time range (URL: `range`, `from`, `to`, and `rule` to show one rule's history).
 */
import { useIsFetching } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { RefreshPicker, TimeRangePicker } from "../../components/TimeRangePicker";
import { Button } from "../../components/ui/Button";
import { ConfirmButton } from "../../components/ui/ConfirmButton";
import { controlClass } from "../../components/ui/fields";
import { Panel } from "../../components/ui/Panel";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/ui/States";
import { useTimeRange } from "../../hooks/time-range";
import { formatDateTime, formatMs, formatTimestamp } from "../../lib/format";
import { useCurrentProject } from "../projects/current";
import { useAlertHistory, useCreateRule, useDeleteRule, useRules, useTestRule, useUpdateRule, type AlertRecord, type Delivery } from "./api";
import { RuleForm } from "./RuleForm";
import { describeCondition, formatKindValue, kindLabel, type Rule } from "./rule-form";

const TH = "py-1.5 pr-3 font-medium";
const TD = "py-1.5 pr-3 align-top";

function DeliveryList({ deliveries }: { deliveries: Delivery[] }) {
  if (deliveries.length === 0) return <span className="text-muted">no channels</span>;
  return (
    <ul className="flex flex-col gap-0.5">
      {deliveries.map((d, i) => (
        <li key={`${d.channel}-${i}`} className="text-xs">
          <span className={d.ok ? "text-ok" : "text-bad"}>{d.ok ? "✓ delivered" : "✗ failed"}</span> <code className="break-all">{d.channel}</code>
          <span className="text-muted">
            {" "}
            ({d.attempts} attempt{d.attempts === 1 ? "" : "s"}, {formatMs(d.seconds * 1000)})
          </span>
          {!d.ok && d.error && <span className="block text-bad">{d.error}</span>}
        </li>
      ))}
    </ul>
  );
}

function TestOutcome({ rule, result, onClose }: { rule: Rule; result: { deliveries?: Delivery[]; error?: unknown }; onClose: () => void }) {
  const deliveries = result.deliveries;
  const ok = deliveries?.filter((d) => d.ok).length ?? 0;
  return (
    <div role="status" className="mb-3 flex flex-col gap-2 rounded border border-line bg-panel-2 p-3 text-sm" data-testid="test-outcome">
      <div className="flex items-center justify-between gap-2">
        <p className="font-medium">
          Test of “{rule.name}”{deliveries ? `: ${ok} of ${deliveries.length} channel${deliveries.length === 1 ? "" : "s"} delivered` : ""}
        </p>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Dismiss
        </Button>
      </div>
      {deliveries ? <DeliveryList deliveries={deliveries} /> : <FormError error={result.error} />}
    </div>
  );
}

function RulesPanel({ projectId }: { projectId: string }) {
  const rules = useRules(projectId);
  const create = useCreateRule(projectId);
  const update = useUpdateRule(projectId);
  const remove = useDeleteRule(projectId);
  const test = useTestRule(projectId);
  // null: no form; "new": the create form; a rule id: that rule's edit form.
  const [formFor, setFormFor] = useState<string | null>(null);
  const [tested, setTested] = useState<{ ruleId: string; deliveries?: Delivery[]; error?: unknown } | null>(null);

  const editing = formFor && formFor !== "new" ? (rules.data?.find((r) => r.id === formFor) ?? null) : null;
  const testedRule = tested ? rules.data?.find((r) => r.id === tested.ruleId) : undefined;
  const closeForm = () => {
    setFormFor(null);
    create.reset();
    update.reset();
  };

  const runTest = (rule: Rule) => {
    setTested(null);
    test.mutate(rule.id, {
      onSuccess: (deliveries) => setTested({ ruleId: rule.id, deliveries }),
      onError: (error) => setTested({ ruleId: rule.id, error }),
    });
  };

  let list;
  if (rules.isPending) list = <LoadingState label="Loading rules…" />;
  else if (rules.error) list = <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />;
  else if (rules.data.length === 0) list = <EmptyState title="No alert rules yet">Create one to be notified when errors, tokens, cost or latency cross a threshold.</EmptyState>;
  else
    list = (
      <div className="overflow-x-auto">
        <table className="w-full text-sm tabular-nums">
          <caption className="sr-only">Alert rules</caption>
          <thead className="text-left text-xs text-muted">
            <tr className="border-b border-line">
              <th scope="col" className={TH}>Name</th>
              <th scope="col" className={TH}>Condition</th>
              <th scope="col" className={TH}>Model</th>
              <th scope="col" className={TH}>Channels</th>
              <th scope="col" className={TH}>Cooldown</th>
              <th scope="col" className={TH}>Enabled</th>
              <th scope="col" className="py-1.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r) => (
              <tr key={r.id} className="border-b border-line/60 last:border-0" data-rule-id={r.id} data-rule-name={r.name}>
                <th scope="row" className={`${TD} text-left font-normal`}>{r.name}</th>
                <td className={TD}>
                  <span className="text-xs text-muted">{kindLabel(r.kind)}</span>
                  <span className="block">{describeCondition(r)}</span>
                </td>
                <td className={TD}>{r.model || <span className="text-muted">all</span>}</td>
                <td className={TD}>
                  {r.channelsUnreadable ? (
                    <span className="text-bad">Unreadable: edit the rule and enter them again</span>
                  ) : (
                    <ul>
                      {r.channels.map((c, i) => (
                        <li key={`${c}-${i}`}><code className="break-all text-xs">{c}</code></li>
                      ))}
                    </ul>
                  )}
                </td>
                <td className={TD}>{formatMs(r.cooldownS * 1000)}</td>
                <td className={TD}>
                  <input
                    type="checkbox"
                    role="switch"
                    aria-label={`Enabled: ${r.name}`}
                    checked={r.enabled}
                    disabled={update.isPending && update.variables?.ruleId === r.id}
                    onChange={(e) => update.mutate({ ruleId: r.id, patch: { enabled: e.target.checked } })}
                  />
                </td>
                <td className="py-1.5 text-right align-top">
                  <div className="inline-flex flex-wrap justify-end gap-2">
                    <Button size="sm" onClick={() => setFormFor(r.id)} aria-label={`Edit ${r.name}`}>
                      Edit
                    </Button>
                    <Button size="sm" onClick={() => runTest(r)} busy={test.isPending && test.variables === r.id} disabled={r.channelsUnreadable} aria-label={`Send test: ${r.name}`}>
                      Send test
                    </Button>
                    <ConfirmButton
                      label="Delete"
                      confirmLabel="Delete rule"
                      question={`Delete “${r.name}”?`}
                      busy={remove.isPending && remove.variables === r.id}
                      onConfirm={() =>
                        remove.mutate(r.id, {
                          onSuccess: () => {
                            if (formFor === r.id) closeForm();
                            if (tested?.ruleId === r.id) setTested(null);
                          },
                        })
                      }
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <Panel
      title="Rules"
      actions={
        formFor === null && (
          <Button size="sm" variant="primary" onClick={() => setFormFor("new")}>
            New rule
          </Button>
        )
      }
    >
      {formFor !== null && (formFor === "new" || editing) && (
        <div className="mb-3 rounded border border-line p-3">
          <h3 className="mb-2 text-sm font-medium">{editing ? `Edit “${editing.name}”` : "New rule"}</h3>
          <RuleForm
            key={formFor}
            editing={editing}
            busy={create.isPending || update.isPending}
            error={editing ? update.error : create.error}
            onCreate={(spec) => create.mutate(spec, { onSuccess: closeForm })}
            onUpdate={(ruleId, patch) => update.mutate({ ruleId, patch }, { onSuccess: closeForm })}
            onCancel={closeForm}
          />
        </div>
      )}
      {tested && testedRule && <TestOutcome rule={testedRule} result={tested} onClose={() => setTested(null)} />}
      {formFor === null && <FormError error={update.error ?? remove.error} />}
      {list}
    </Panel>
  );
}

function HistoryTable({ alerts }: { alerts: AlertRecord[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm tabular-nums">
        <caption className="sr-only">Alert history</caption>
        <thead className="text-left text-xs text-muted">
          <tr className="border-b border-line">
            <th scope="col" className={TH}>At</th>
            <th scope="col" className={TH}>State</th>
            <th scope="col" className={TH}>Rule</th>
            <th scope="col" className={`${TH} text-right`}>Value</th>
            <th scope="col" className={`${TH} text-right`}>Threshold</th>
            <th scope="col" className={TH}>Window</th>
            <th scope="col" className="py-1.5 font-medium">Deliveries</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={`${a.alertId}-${a.state}-${a.notifiedAt}`} className="border-b border-line/60 last:border-0" data-alert-id={a.alertId}>
              <td className={TD} title={formatTimestamp(a.at)}>{formatDateTime(a.at)}</td>
              <td className={TD}>
                <span className={a.state === "fired" ? "text-bad" : "text-ok"}>{a.state === "fired" ? "Fired" : a.state === "resolved" ? "Resolved" : a.state}</span>
                {a.repeat && <span className="block text-xs text-muted">repeat</span>}
              </td>
              <th scope="row" className={`${TD} text-left font-normal`}>
                {a.ruleName}
                <span className="block text-xs text-muted">
                  {kindLabel(a.kind)}
                  {a.errorType ? ` “${a.errorType}”` : ""}
                  {a.model ? ` · ${a.model}` : ""}
                </span>
              </th>
              <td className={`${TD} text-right`}>{formatKindValue(a.kind, a.value)}</td>
              <td className={`${TD} text-right`}>{formatKindValue(a.kind, a.threshold)}</td>
              <td className={TD}>{a.windowMinutes} min</td>
              <td className="py-1.5 align-top"><DeliveryList deliveries={a.deliveries} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HistoryPanel({ projectId, rules }: { projectId: string; rules: Rule[] }) {
  const { from, to } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const ruleId = params.get("rule") || null;
  const history = useAlertHistory(projectId, from, to, ruleId);
  const setRule = (value: string) =>
    setParams((prev) => {
      const out = new URLSearchParams(prev);
      if (value) out.set("rule", value);
      else out.delete("rule");
      return out;
    });

  let body;
  if (history.isPending) body = <LoadingState label="Loading alert history…" />;
  else if (history.error) body = <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  else if (history.data.length === 0) body = <EmptyState title="No alerts in this time range">Fired and resolved notifications appear here.</EmptyState>;
  else body = <HistoryTable alerts={history.data} />;

  return (
    <Panel
      title="History"
      hint={`${formatDateTime(from)} – ${formatDateTime(to)}`}
      actions={
        <div className="flex items-center gap-2 text-xs text-muted">
          <label htmlFor="history-rule">Rule</label>
          <select id="history-rule" className={`${controlClass} w-48`} value={ruleId ?? ""} onChange={(e) => setRule(e.target.value)}>
            <option value="">All rules</option>
            {ruleId && !rules.some((r) => r.id === ruleId) && <option value={ruleId}>{ruleId}</option>}
            {rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
      }
    >
      <div aria-busy={history.isFetching || undefined}>{body}</div>
    </Panel>
  );
}

export function AlertsPage() {
  const project = useCurrentProject();
  const rules = useRules(project.id);
  const fetching = useIsFetching({ queryKey: ["projects", project.id, "alert-history"] }) > 0;
  return (
    <>
      <PageHeader title="Alerts">
        <TimeRangePicker />
        <RefreshPicker fetching={fetching} />
      </PageHeader>
      <div className="flex flex-col gap-4">
        <RulesPanel projectId={project.id} />
        <HistoryPanel projectId={project.id} rules={rules.data ?? []} />
      </div>
    </>
  );
}
