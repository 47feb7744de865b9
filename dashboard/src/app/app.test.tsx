/** The app as a user meets it: routes, auth redirects, the first run, the explorer and settings, over a mocked API. */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { forgetSecrets } from "../features/keys/secrets";
import { json, mockApi } from "../test/api-mock";
import { detail, key, me, models, overview, project, series, summary } from "../test/fixtures";
import { renderApp } from "../test/render";

const unauthorized = () => json(401, { error: "unauthorized", message: "sign in" });

function statsRoutes() {
  return {
    "GET /api/v1/stats/overview": () => overview,
    "GET /api/v1/stats/timeseries": ({ query }: { query: URLSearchParams }) => {
      const metric = query.get("metric") ?? "requests";
      return series(metric as "requests", [{ name: metric === "cost" ? "costUsd" : metric, values: [1, 2, 3] }]);
    },
    "GET /api/v1/stats/models": () => models,
  };
}

describe("authentication", () => {
  it("sends a signed-out visitor to the login page and back to the page asked for", async () => {
    let signedIn = false;
    const api = mockApi({
      "GET /api/v1/auth/me": () => (signedIn ? me : unauthorized()),
      "POST /api/v1/auth/login": ({ body }) => {
        signedIn = true;
        return { user: { id: "u1", email: (body as { email: string }).email } };
      },
      "GET /api/v1/events": () => ({ events: [], nextCursor: null }),
      "GET /api/v1/projects/prj_1/keys": () => ({ keys: [] }),
      ...statsRoutes(),
    });
    const { router } = renderApp("/projects/prj_1/settings");
    await screen.findByRole("heading", { name: "Sign in" });
    expect(router.state.location.pathname).toBe("/login");
    expect(router.state.location.search).toBe("?next=%2Fprojects%2Fprj_1%2Fsettings");
    await userEvent.type(screen.getByLabelText("Email"), "dev@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "long enough password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { name: "Settings" });
    expect(router.state.location.pathname).toBe("/projects/prj_1/settings");
    expect(api.callsTo("POST", "/api/v1/auth/login")[0]!.body).toEqual({ email: "dev@example.com", password: "long enough password" });
  });

  it("explains a wrong password and a throttled login", async () => {
    let attempts = 0;
    mockApi({
      "GET /api/v1/auth/me": unauthorized,
      "POST /api/v1/auth/login": () =>
        ++attempts === 1
          ? json(401, { error: "unauthorized", message: "bad credentials" })
          : json(429, { error: "too_many_requests", message: "too many failed logins; try again later" }, { "Retry-After": "42" }),
    });
    renderApp("/login");
    await userEvent.type(await screen.findByLabelText("Email"), "dev@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrong password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Try again in 42 s."));
  });

  it("checks the password length before sending, and says when the email is taken", async () => {
    const api = mockApi({
      "GET /api/v1/auth/me": unauthorized,
      "POST /api/v1/auth/signup": () => json(409, { error: "conflict", message: "email taken" }),
    });
    renderApp("/signup");
    await userEvent.type(await screen.findByLabelText("Email"), "dev@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByText("Use at least 10 characters.")).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/v1/auth/signup")).toHaveLength(0);
    await userEvent.type(screen.getByLabelText("Password"), " and longer");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already exists");
  });

  it("a session that ends mid-use (401 on a read) returns to the login page", async () => {
    let signedIn = true;
    mockApi({
      "GET /api/v1/auth/me": () => (signedIn ? me : unauthorized()),
      "GET /api/v1/events": () => {
        signedIn = false;
        return unauthorized();
      },
    });
    const { router } = renderApp("/projects/prj_1/events");
    await screen.findByRole("heading", { name: "Sign in" });
    expect(router.state.location.pathname).toBe("/login");
  });
});

describe("projects", () => {
  it("opens the last project used at /, and says so for a project the user is not in", async () => {
    localStorage.setItem("lynex.lastProject", "prj_2");
    mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/events": () => ({ events: [summary()], nextCursor: null }),
      ...statsRoutes(),
    });
    const { router } = renderApp("/");
    await waitFor(() => expect(router.state.location.pathname).toBe("/projects/prj_2/overview"));
    await router.navigate("/projects/someone-elses/overview");
    expect(await screen.findByText("Project not found")).toBeInTheDocument();
  });

  it("a new account names its first project", async () => {
    let projects: typeof me.projects = [];
    const api = mockApi({
      "GET /api/v1/auth/me": () => ({ user: me.user, projects }),
      "POST /api/v1/projects": ({ body }) => {
        projects = [{ ...project, name: (body as { name: string }).name }];
        return json(201, projects[0]);
      },
      "GET /api/v1/events": () => ({ events: [], nextCursor: null }),
      "GET /api/v1/projects/prj_1/keys": () => ({ keys: [] }),
    });
    const { router } = renderApp("/");
    const name = await screen.findByLabelText("Project name");
    await userEvent.clear(name);
    await userEvent.type(name, "Chatbot");
    await userEvent.click(screen.getByRole("button", { name: "Create project" }));
    await screen.findByRole("heading", { name: "Send your first event to Chatbot" });
    expect(router.state.location.pathname).toBe("/projects/prj_1/overview");
    expect(api.callsTo("POST", "/api/v1/projects")[0]!.body).toEqual({ name: "Chatbot" });
  });
});

describe("first run", () => {
  it("creates a key, puts it in the snippets, and shows the dashboard once an event arrives", async () => {
    forgetSecrets();
    let arrived = false;
    mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/events": () => ({ events: arrived ? [summary()] : [], nextCursor: null }),
      "GET /api/v1/projects/prj_1/keys": () => ({ keys: [] }),
      "POST /api/v1/projects/prj_1/keys": () => json(201, { key: key({ name: "first key" }), secret: "sk_live_s3cret" }),
      ...statsRoutes(),
    });
    renderApp("/projects/prj_1/overview");
    await screen.findByText("This project has no API key yet.");
    expect(document.querySelector("pre[data-snippet]")).toHaveTextContent("sk_live_YOUR_KEY");
    await userEvent.click(screen.getByRole("button", { name: "Create an API key" }));
    expect(await screen.findByTestId("first-run-secret")).toHaveTextContent("sk_live_s3cret");
    expect(document.querySelector('pre[data-snippet="python"]')).toHaveTextContent(`lynex.init(api_key="sk_live_s3cret", endpoint="${window.location.origin}")`);
    await userEvent.click(screen.getByRole("tab", { name: "JavaScript" }));
    expect(document.querySelector('pre[data-snippet="javascript"]')).toHaveTextContent(`${window.location.origin}/api/v1/events`);
    arrived = true;
    expect(await screen.findByText(/Your first event arrived/, {}, { timeout: 4000 })).toBeInTheDocument();
    expect(await screen.findByTestId("stat-requests-today")).toHaveTextContent("1,234");
  });
});

describe("overview", () => {
  it("asks every panel for the same window and keeps the range in the URL", async () => {
    const api = mockApi({ "GET /api/v1/auth/me": () => me, "GET /api/v1/events": () => ({ events: [summary()], nextCursor: null }), ...statsRoutes() });
    const { router } = renderApp("/projects/prj_1/overview?range=6h");
    await screen.findByTestId("stat-cost");
    await waitFor(() => expect(api.callsTo("GET", "/api/v1/stats/timeseries").length).toBeGreaterThanOrEqual(6));
    const windows = new Set(
      [...api.callsTo("GET", "/api/v1/stats/timeseries"), ...api.callsTo("GET", "/api/v1/stats/overview")].map((c) => `${c.query.get("from")}|${c.query.get("to")}`),
    );
    expect(windows.size).toBe(1);
    const [from, to] = [...windows][0]!.split("|");
    expect(Date.parse(to!) - Date.parse(from!)).toBe(6 * 3_600_000);
    expect(api.callsTo("GET", "/api/v1/stats/timeseries").every((c) => c.query.get("interval") === "minute" && c.query.get("project_id") === "prj_1")).toBe(true);
    await userEvent.selectOptions(screen.getByLabelText("Time range"), "7d");
    await waitFor(() => expect(router.state.location.search).toContain("range=7d"));
    await waitFor(() => expect(api.callsTo("GET", "/api/v1/stats/timeseries").some((c) => c.query.get("interval") === "hour")).toBe(true));
    await userEvent.selectOptions(screen.getByLabelText("Auto-refresh"), "5s");
    expect(router.state.location.search).toContain("refresh=5s");
  });

  it("switching projects keeps the page and the range", async () => {
    mockApi({ "GET /api/v1/auth/me": () => me, "GET /api/v1/events": () => ({ events: [summary()], nextCursor: null }), ...statsRoutes() });
    const { router } = renderApp("/projects/prj_1/events?range=1h&model=gpt-4o");
    await screen.findByRole("heading", { name: "Events" });
    await userEvent.selectOptions(screen.getByLabelText("Project"), "prj_2");
    await waitFor(() => expect(router.state.location.pathname).toBe("/projects/prj_2/events"));
    expect(router.state.location.search).toBe("?range=1h");
  });
});

describe("events explorer", () => {
  it("filters through the URL and the API, expands an event, and pages with the cursor", async () => {
    const api = mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/events": ({ query }) =>
        query.get("cursor")
          ? { events: [summary({ eventId: "11111111-1111-1111-1111-111111111111", model: "older-model" })], nextCursor: null }
          : { events: [summary(), summary({ eventId: "22222222-2222-2222-2222-222222222222", type: "log", model: null, status: null, level: "warning", latencyMs: null, costUsd: null, tokens: { input: 0, output: 0, cached: 0, reasoning: 0 } })], nextCursor: "abc" },
      "GET /api/v1/events/0b7f8a52-2f3c-4c47-9a3a-1f1c2f6d4e01": () => detail(),
      "GET /api/v1/stats/models": () => models,
    });
    const { router } = renderApp("/projects/prj_1/events");
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "▸2025-01-31 12:00:00.250",
      "llm_call",
      "gpt-4o",
      "ok",
      "413 ms",
      "21 / 2",
      "$0.000073",
    ]);
    expect(within(rows[1]!).getAllByRole("cell")[3]).toHaveTextContent("warning");

    await userEvent.selectOptions(screen.getByLabelText("Status"), "error");
    await waitFor(() => expect(router.state.location.search).toContain("status=error"));
    await waitFor(() => expect(api.calls.some((c) => c.path === "/api/v1/events" && c.query.get("status") === "error")).toBe(true));
    await userEvent.type(screen.getByLabelText("Model"), "gpt-4o{Enter}");
    await waitFor(() => expect(router.state.location.search).toContain("model=gpt-4o"));
    const last = api.callsTo("GET", "/api/v1/events").at(-1)!;
    expect(last.query.get("model")).toBe("gpt-4o");
    expect(last.query.get("project_id")).toBe("prj_1");
    expect(last.query.get("to")).toBeNull(); // a preset range is open-ended

    await userEvent.click(screen.getAllByRole("button", { name: /2025-01-31 12:00:00.250/ })[0]!);
    const opened = await screen.findByTestId("event-detail");
    expect(within(opened).getByRole("region", { name: "Prompt" })).toHaveTextContent("What is the capital of France?");
    expect(within(opened).getByRole("region", { name: "Response" })).toHaveTextContent("Paris.");
    expect(within(opened).getByLabelText("Body (JSON)")).toHaveTextContent('"temperature": 0.2');
    expect(router.state.location.search).toContain("event=0b7f8a52");

    await userEvent.click(screen.getByRole("button", { name: "Older →" }));
    await screen.findByText("older-model");
    expect(api.callsTo("GET", "/api/v1/events").at(-1)!.query.get("cursor")).toBe("abc");
    expect(screen.getByText("Page 2")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Older →" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "← Newer" }));
    await waitFor(() => expect(screen.getByText("Page 1")).toBeInTheDocument());
  });

  it("says when nothing matches, and shows API errors", async () => {
    let fail = false;
    mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/events": () => (fail ? json(503, { error: "unavailable", message: "ClickHouse unavailable" }) : { events: [], nextCursor: null }),
      "GET /api/v1/stats/models": () => models,
    });
    const { router } = renderApp("/projects/prj_1/events?type=span");
    expect(await screen.findByText("No events match")).toBeInTheDocument();
    fail = true;
    await router.navigate("/projects/prj_1/events?type=log");
    expect(await screen.findByRole("alert")).toHaveTextContent("ClickHouse unavailable");
  });
});

describe("settings", () => {
  it("creates a key showing its secret once, and revokes one after confirmation", async () => {
    let keys = [key()];
    const api = mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/projects": () => ({ projects: me.projects }),
      "GET /api/v1/projects/prj_1/keys": () => ({ keys }),
      "POST /api/v1/projects/prj_1/keys": ({ body }) => {
        const created = key({ id: "key_2", name: (body as { name: string }).name, lastUsedAt: null, eventsAccepted: 0 });
        keys = [...keys, created];
        return json(201, { key: created, secret: "sk_live_new" });
      },
      "DELETE /api/v1/projects/prj_1/keys/key_1": () => {
        keys = keys.map((k) => (k.id === "key_1" ? { ...k, revokedAt: "2025-01-31T12:00:00Z" } : k));
        return new Response(null, { status: 204 });
      },
    });
    renderApp("/projects/prj_1/settings");
    const row = await screen.findByRole("row", { name: /production/ });
    expect(within(row).getByTestId("key-usage")).toHaveTextContent("123,456");
    expect(row).toHaveTextContent("sk_live_ab12…");

    await userEvent.type(screen.getByLabelText("New key name"), "ci");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    const shown = await screen.findByTestId("new-key-secret");
    expect(within(shown).getByTestId("secret-value")).toHaveTextContent("sk_live_new");
    expect(within(shown).getByRole("button", { name: "Copy secret" })).toBeInTheDocument();
    await userEvent.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("sk_live_new")).toBeNull();
    expect(await screen.findByRole("row", { name: /ci/ })).toHaveTextContent("never");

    await userEvent.click(within(row).getByRole("button", { name: "Revoke" }));
    expect(api.callsTo("DELETE", "/api/v1/projects/prj_1/keys/key_1")).toHaveLength(0);
    await userEvent.click(within(row).getByRole("button", { name: "Revoke key" }));
    await waitFor(() => expect(screen.getByRole("row", { name: /production/ })).toHaveTextContent("Revoked"));
    expect(api.callsTo("DELETE", "/api/v1/projects/prj_1/keys/key_1")).toHaveLength(1);
  });

  it("offers rename and delete only to owners", async () => {
    mockApi({
      "GET /api/v1/auth/me": () => me,
      "GET /api/v1/projects": () => ({ projects: me.projects }),
      "GET /api/v1/projects/prj_2/keys": () => ({ keys: [key()] }),
    });
    renderApp("/projects/prj_2/settings");
    const items = await screen.findAllByRole("listitem");
    expect(within(items[0]!).getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(within(items[1]!).queryByRole("button", { name: "Delete" })).toBeNull();
    expect(within(items[1]!).queryByRole("button", { name: "Rename" })).toBeNull();
    // A member cannot revoke keys either (the server answers 403): no button.
    expect(within(await screen.findByRole("row", { name: /production/ })).queryByRole("button", { name: "Revoke" })).toBeNull();
  });
});

describe("alerts", () => {
  const rulesPath = "/api/v1/projects/prj_1/rules";
  const rule = (overrides: Record<string, unknown> = {}) => ({
    id: "rul_1",
    projectId: "prj_1",
    name: "Error spike",
    kind: "error_rate",
    threshold: 5,
    windowMinutes: 10,
    minRequests: 20,
    errorType: "",
    model: "gpt-4o",
    cooldownS: 300,
    enabled: true,
    channels: ["json://hooks.example.com/***"],
    channelsUnreadable: false,
    createdAt: "2025-01-31T12:00:00Z",
    updatedAt: "2025-01-31T12:00:00Z",
    ...overrides,
  });
  const fired = {
    alertId: "alr_1",
    ruleId: "rul_1",
    ruleName: "Error spike",
    kind: "error_rate",
    state: "fired",
    repeat: false,
    at: "2025-01-31T11:00:00Z",
    notifiedAt: "2025-01-31T11:00:00.050Z",
    value: 12.5,
    threshold: 5,
    windowMinutes: 10,
    model: "gpt-4o",
    errorType: "",
    deliveries: [
      { channel: "json://hooks.example.com/***", ok: true, attempts: 1, seconds: 0.04, error: "" },
      { channel: "slack://***", ok: false, attempts: 3, seconds: 2.5, error: "HTTP 500" },
    ],
  };

  function alertRoutes(rules: ReturnType<typeof rule>[], history: unknown[] = []) {
    return {
      "GET /api/v1/auth/me": () => me,
      [`GET ${rulesPath}`]: () => ({ rules }),
      "GET /api/v1/alerts/history": () => ({ alerts: history }),
    };
  }

  it("lists rules with masked channels, and the history of the URL's time range", async () => {
    const api = mockApi(alertRoutes([rule()], [fired]));
    renderApp("/projects/prj_1/alerts?range=7d");
    const row = await screen.findByRole("row", { name: /Error spike.*Error rate > 5 % over 10 min/ });
    expect(within(row).getByText("json://hooks.example.com/***")).toBeInTheDocument();
    expect(within(row).getByText("gpt-4o")).toBeInTheDocument();
    expect(within(row).getByRole("switch", { name: "Enabled: Error spike" })).toBeChecked();
    const history = await screen.findByRole("table", { name: "Alert history" });
    const item = within(history).getAllByRole("row")[1]!;
    expect(item).toHaveTextContent("Fired");
    expect(item).toHaveTextContent("12.5 %");
    expect(item).toHaveTextContent("✓ delivered");
    expect(item).toHaveTextContent("HTTP 500");
    const call = api.callsTo("GET", "/api/v1/alerts/history")[0]!;
    expect(call.query.get("project_id")).toBe("prj_1");
    const span = new Date(call.query.get("to")!).getTime() - new Date(call.query.get("from")!).getTime();
    expect(span).toBe(7 * 24 * 3600 * 1000);
  });

  it("shows empty and error states", async () => {
    mockApi({
      "GET /api/v1/auth/me": () => me,
      [`GET ${rulesPath}`]: () => ({ rules: [] }),
      "GET /api/v1/alerts/history": () => json(503, { error: "unavailable", message: "ClickHouse unavailable" }),
    });
    renderApp("/projects/prj_1/alerts");
    expect(await screen.findByText("No alert rules yet")).toBeInTheDocument();
    expect(await screen.findByRole("alert")).toHaveTextContent("ClickHouse unavailable");
  });

  it("creates a rule with the fields of its kind", async () => {
    let rules = [rule()];
    const api = mockApi({
      ...alertRoutes(rules),
      [`GET ${rulesPath}`]: () => ({ rules }),
      [`POST ${rulesPath}`]: ({ body }) => {
        const created = rule({ ...(body as object), id: "rul_2", channels: ["json://h/***"] });
        rules = [...rules, created];
        return json(201, created);
      },
    });
    renderApp("/projects/prj_1/alerts");
    await userEvent.click(await screen.findByRole("button", { name: "New rule" }));
    const form = screen.getByRole("form", { name: "Create an alert rule" });
    await userEvent.type(within(form).getByLabelText("Name"), "Rate limits");
    await userEvent.selectOptions(within(form).getByLabelText("Kind"), "error_type");
    expect(within(form).queryByLabelText("Minimum requests in window")).toBeNull();
    await userEvent.click(within(form).getByRole("button", { name: "Create rule" }));
    expect(within(form).getByText("Error type is required for this kind")).toBeInTheDocument();
    expect(within(form).getByText("At least one channel URL is required")).toBeInTheDocument();
    expect(api.callsTo("POST", rulesPath)).toHaveLength(0);
    await userEvent.type(within(form).getByLabelText("Error type"), "rate_limit");
    await userEvent.type(within(form).getByLabelText("Seen at least (times)"), "3");
    await userEvent.type(within(form).getByLabelText("Channel URLs"), "json://h/1{enter}slack://a/b");
    await userEvent.click(within(form).getByRole("button", { name: "Create rule" }));
    await screen.findByRole("row", { name: /Rate limits/ });
    expect(screen.queryByRole("form", { name: "Create an alert rule" })).toBeNull();
    expect(api.callsTo("POST", rulesPath)[0]!.body).toEqual({
      name: "Rate limits",
      kind: "error_type",
      threshold: 3,
      windowMinutes: 5,
      minRequests: 0,
      errorType: "rate_limit",
      model: "",
      cooldownS: 300,
      enabled: true,
      channels: ["json://h/1", "slack://a/b"],
    });
  });

  it("edits a rule without sending its masked channels back, and shows the server's refusal", async () => {
    let attempt = 0;
    const api = mockApi({
      ...alertRoutes([rule()]),
      [`PATCH ${rulesPath}/rul_1`]: ({ body }) => {
        attempt += 1;
        if (attempt === 1) return json(422, { error: "invalid_parameter", message: "threshold: too high", parameter: "threshold" });
        return rule(body as Record<string, unknown>);
      },
    });
    renderApp("/projects/prj_1/alerts");
    await userEvent.click(await screen.findByRole("button", { name: "Edit Error spike" }));
    const form = screen.getByRole("form", { name: "Edit rule Error spike" });
    expect(within(form).getByLabelText("Channel URLs")).toHaveValue("");
    const threshold = within(form).getByLabelText("Error rate above (%)");
    await userEvent.clear(threshold);
    await userEvent.type(threshold, "7.5");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("threshold: too high");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit rule Error spike" })).toBeNull());
    const body = api.callsTo("PATCH", `${rulesPath}/rul_1`)[1]!.body as Record<string, unknown>;
    expect(body).not.toHaveProperty("channels");
    expect(body).toMatchObject({ threshold: 7.5, minRequests: 20, model: "gpt-4o", windowMinutes: 10 });
  });

  it("toggles, tests and deletes a rule", async () => {
    let rules = [rule()];
    const api = mockApi({
      ...alertRoutes(rules),
      [`GET ${rulesPath}`]: () => ({ rules }),
      [`PATCH ${rulesPath}/rul_1`]: ({ body }) => {
        rules = [rule(body as Record<string, unknown>)];
        return rules[0];
      },
      [`POST ${rulesPath}/rul_1/test`]: () => ({
        deliveries: [
          { channel: "json://hooks.example.com/***", ok: true, attempts: 1, seconds: 0.03, error: "" },
          { channel: "mailto://***", ok: false, attempts: 1, seconds: 5, error: "timed out" },
        ],
      }),
      [`DELETE ${rulesPath}/rul_1`]: () => {
        rules = [];
        return new Response(null, { status: 204 });
      },
    });
    renderApp("/projects/prj_1/alerts");
    const toggle = await screen.findByRole("switch", { name: "Enabled: Error spike" });
    await userEvent.click(toggle);
    await waitFor(() => expect(screen.getByRole("switch", { name: "Enabled: Error spike" })).not.toBeChecked());
    expect(api.callsTo("PATCH", `${rulesPath}/rul_1`)[0]!.body).toEqual({ enabled: false });

    await userEvent.click(screen.getByRole("button", { name: "Send test: Error spike" }));
    const outcome = await screen.findByTestId("test-outcome");
    expect(outcome).toHaveTextContent("1 of 2 channels delivered");
    expect(outcome).toHaveTextContent("timed out");

    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete rule" }));
    expect(await screen.findByText("No alert rules yet")).toBeInTheDocument();
    expect(api.callsTo("DELETE", `${rulesPath}/rul_1`)).toHaveLength(1);
  });

  it("filters the history by the rule in the URL", async () => {
    const api = mockApi(alertRoutes([rule()], [fired]));
    const { router } = renderApp("/projects/prj_1/alerts");
    await screen.findByRole("table", { name: "Alert history" });
    await userEvent.selectOptions(screen.getByLabelText("Rule"), "rul_1");
    await waitFor(() => expect(router.state.location.search).toContain("rule=rul_1"));
    await waitFor(() => expect(api.callsTo("GET", "/api/v1/alerts/history").at(-1)!.query.get("rule_id")).toBe("rul_1"));
  });
});
