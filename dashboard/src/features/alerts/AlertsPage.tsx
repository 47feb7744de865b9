/** Alerting has not landed on the server yet: say so rather than show rules that do not exist. */
import { PageHeader } from "../../components/PageHeader";
import { EmptyState } from "../../components/ui/States";

export function AlertsPage() {
  return (
    <>
      <PageHeader title="Alerts" />
      <div className="rounded-md border border-line bg-panel">
        <EmptyState title="Alerting is not available yet">
          <p className="max-w-md">
            Alert rules (create, edit, enable, test) and their history will appear here once the alerting service ships in Lynex.
          </p>
        </EmptyState>
      </div>
    </>
  );
}
