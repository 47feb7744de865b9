/**
 * Runtime hooks, installed once for every client: flush before Node exits (`beforeExit`), and send
 * with `fetch(..., {keepalive: true})` when a browser page is hidden (`visibilitychange`, `pagehide`).
 */

export interface ExitAware {
  /** Node's event loop is about to empty: deliver what is queued, bounded by a timeout. */
  flushBeforeExit(): Promise<unknown>;
  /** The page is hidden and may never come back: hand what fits to a keepalive request now. */
  flushOnHide(): void;
}

const clients = new Set<ExitAware>();
let installed = false;

interface NodeProcess {
  on?: (event: string, listener: () => void) => unknown;
}

interface PageGlobals {
  document?: { visibilityState?: string; addEventListener?: (t: string, l: () => void) => void };
  addEventListener?: (type: string, listener: () => void) => void;
}

function install(): void {
  if (installed) return;
  installed = true;
  const page = globalThis as PageGlobals;
  if (page.document?.addEventListener) {
    page.document.addEventListener("visibilitychange", () => {
      if (page.document?.visibilityState === "hidden") for (const client of clients) client.flushOnHide();
    });
    page.addEventListener?.("pagehide", () => {
      for (const client of clients) client.flushOnHide();
    });
    return;
  }
  const proc = (globalThis as { process?: NodeProcess }).process;
  // `beforeExit` fires when the loop is empty; the flush schedules work, then it fires again and
  // finds nothing to do. Explicit process.exit() skips it: `await client.shutdown()` first.
  proc?.on?.("beforeExit", () => {
    for (const client of clients) void client.flushBeforeExit();
  });
}

export function register(client: ExitAware): void {
  clients.add(client);
  install();
}

export function unregister(client: ExitAware): void {
  clients.delete(client);
}
