/** The explorer's filters as URL parameters (`type`, `model`, `status`, `limit`, `event`). Pure. */
import { EVENT_STATUSES, EVENT_TYPES } from "../../types/api";
import type { EventFilters } from "./api";

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;

export function readFilters(params: URLSearchParams): EventFilters {
  const type = params.get("type");
  const status = params.get("status");
  const model = params.get("model")?.trim();
  return {
    type: type && (EVENT_TYPES as readonly string[]).includes(type) ? type : null,
    status: status && (EVENT_STATUSES as readonly string[]).includes(status) ? status : null,
    model: model ? model.slice(0, 256) : null,
  };
}

export function writeFilter(params: URLSearchParams, name: keyof EventFilters, value: string | null): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(name, value);
  else next.delete(name);
  next.delete("event");
  return next;
}

export function clearFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of ["type", "model", "status", "event"]) next.delete(name);
  return next;
}

export function readPageSize(params: URLSearchParams): number {
  const raw = Number(params.get("limit"));
  return (PAGE_SIZES as readonly number[]).includes(raw) ? raw : DEFAULT_PAGE_SIZE;
}

export function hasFilters(filters: EventFilters): boolean {
  return Boolean(filters.type || filters.model || filters.status);
}
