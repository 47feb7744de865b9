import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiRequest, buildUrl, describeError } from "./api-client";

function respond(status: number, body?: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } }));
}

afterEach(() => vi.unstubAllGlobals());

describe("apiRequest", () => {
  it("skips empty query values and sends the cookie (same origin)", async () => {
    const fetchMock = respond(200, { ok: true });
    vi.stubGlobal("fetch", fetchMock);
    await apiRequest("/api/v1/events", { query: { project_id: "p1", model: null, type: "", limit: 50 } });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/events?project_id=p1&limit=50");
    expect(init.credentials).toBe("same-origin");
  });

  it("sends JSON bodies", async () => {
    const fetchMock = respond(201, { id: "p" });
    vi.stubGlobal("fetch", fetchMock);
    await apiRequest("/api/v1/projects", { method: "POST", body: { name: "x" } });
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe("POST");
    expect(init.body).toBe('{"name":"x"}');
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("returns undefined for 204", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(null, { status: 204 })));
    await expect(apiRequest("/api/v1/auth/logout", { method: "POST" })).resolves.toBeUndefined();
  });

  it("turns the server's {error, message} into an ApiError, with Retry-After", async () => {
    vi.stubGlobal("fetch", respond(429, { error: "too_many_requests", message: "too many failed logins" }, { "Retry-After": "30" }));
    const error = await apiRequest("/api/v1/auth/login", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: "too_many_requests", retryAfter: 30 });
    expect(describeError(error)).toBe("too many failed logins Try again in 30 s.");
  });

  it("names the bad parameter of a 422", async () => {
    vi.stubGlobal("fetch", respond(422, { error: "invalid_parameter", message: "from: must be before to", parameter: "from" }));
    await expect(apiRequest("/api/v1/stats/overview")).rejects.toMatchObject({ status: 422, parameter: "from", message: "from: must be before to" });
  });

  it("survives a non-JSON error page", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(apiRequest("/x")).rejects.toMatchObject({ status: 502, code: "http_502", message: "Bad Gateway" });
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(apiRequest("/x")).rejects.toMatchObject({ status: 0, code: "network" });
  });
});

describe("buildUrl", () => {
  it("leaves a path without parameters alone", () => expect(buildUrl("/a", {})).toBe("/a"));
});
