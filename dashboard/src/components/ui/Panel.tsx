/** The frame every dashboard panel sits in: a title, optional actions, and the body. */
import type { ReactNode } from "react";

interface Props {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  /** Shown as a small subtitle, e.g. what range the numbers cover. */
  hint?: string;
}

export function Panel({ title, actions, children, className = "", hint }: Props) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section aria-labelledby={id} className={`rounded-md border border-line bg-panel p-3 ${className}`} data-panel={title}>
      <header className="mb-2 flex items-center justify-between gap-2">
        <h2 id={id} className="text-sm font-medium text-fg">
          {title}
          {hint && <span className="ml-2 text-xs font-normal text-muted">{hint}</span>}
        </h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
