/** One fetch wrapper for the Lynex API: same-origin cookie session, JSON in and out, `ApiError` on failure. */

export type QueryValue = string | number | boolean | null | undefined;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfter: number | null;
  readonly parameter: string | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null, parameter: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.parameter = parameter;
  }
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

function parseRetryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : null;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let parameter: string | null = null;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") {
      const b = body as Record<string, unknown>;
      if (typeof b.error === "string") code = b.error;
      if (typeof b.message === "string") message = b.message;
      else if (typeof b.detail === "string") message = b.detail;
      if (typeof b.parameter === "string") parameter = b.parameter;
    }
  } catch {
    // Not JSON (a proxy's error page): keep the status text.
  }
  return new ApiError(response.status, code, message, parseRetryAfter(response.headers.get("Retry-After")), parameter);
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = {
    method: options.method ?? "GET",
    credentials: "same-origin",
    headers,
    signal: options.signal ?? null,
  };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), init);
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", "Cannot reach the Lynex server. Check that it is running.");
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A message for people: what failed and, when the server said so, when to try again. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter !== null) {
      return `${error.message || "Too many attempts."} Try again in ${error.retryAfter} s.`;
    }
    return error.message || `Request failed (${error.status})`;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
