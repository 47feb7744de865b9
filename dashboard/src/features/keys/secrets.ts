/**
 * Secrets of keys created in this tab, kept in memory only (never localStorage): the first-run snippets
 * can then show the real key right after it was created. A reload forgets them, as the server does.
 */
import { useSyncExternalStore } from "react";
import type { CreatedKey } from "../../types/api";

const secrets = new Map<string, CreatedKey>();
const listeners = new Set<() => void>();

export function rememberSecret(projectId: string, created: CreatedKey): void {
  secrets.set(projectId, created);
  listeners.forEach((listener) => listener());
}

export function forgetSecrets(): void {
  secrets.clear();
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The newest key created for `projectId` in this tab, with its secret; null when none. */
export function useFreshSecret(projectId: string): CreatedKey | null {
  return useSyncExternalStore(subscribe, () => secrets.get(projectId) ?? null);
}
