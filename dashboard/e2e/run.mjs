#!/usr/bin/env node
/**
 * End-to-end test of the dashboard in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core)
 * against a running Lynex with real data. Usage:
 *
 *   node dashboard/e2e/run.mjs <base-url> <screenshot-dir>
 *
 * A driver (tests/e2e/test_dashboard.py) talks to it over stdin/stdout, one JSON message per line prefixed
 * with "LYNEX_E2E ": this script announces the API key it created in the UI, the driver sends events over
 * HTTP with it and answers with what the UI must now show; it also signs up the second user the UI adds as a
 * member and checks that user's access (events and the member list) after the add and the removal. Exit
 * code 0 when every step passed.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";

const [, , baseUrlArg, shotDirArg] = process.argv;
if (!baseUrlArg || !shotDirArg) {
  console.error("usage: node dashboard/e2e/run.mjs <base-url> <screenshot-dir>");
  process.exit(2);
}
const BASE = baseUrlArg.replace(/\/+$/, "");
const SHOTS = path.resolve(shotDirArg);
const PROTOCOL = "LYNEX_E2E ";
const PASSWORD = "correct horse battery staple";
const EMAIL = `e2e-${Date.now().toString(36)}@example.com`;

// -- the driver protocol ---------------------------------------------------------------------------

const inbox = [];
const waiting = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.startsWith(PROTOCOL)) return;
  const message = JSON.parse(line.slice(PROTOCOL.length));
  const resolve = waiting.shift();
  if (resolve) resolve(message);
  else inbox.push(message);
});

function tell(message) {
  process.stdout.write(`${PROTOCOL}${JSON.stringify(message)}\n`);
}

async function ask(message, timeoutMs = 180_000) {
  tell(message);
  const reply = inbox.shift();
  if (reply) return reply;
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the driver to ${message.step} within ${timeoutMs / 1000}s`)), timeoutMs);
    waiting.push((m) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

// -- small assertion helpers -------------------------------------------------------------------------

function log(...parts) {
  console.log("[e2e]", ...parts);
}

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

/**
 * Polls `probe` until it returns a truthy value; `between` runs before each retry (e.g. a refresh click).
 * `what` may be a function, read when giving up (so it can say what was seen last).
 */
async function eventually(what, probe, { timeout = 20_000, interval = 400, between } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Failure(`${typeof what === "function" ? what() : what} (gave up after ${timeout / 1000}s; last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
    if (between) await between().catch(() => {});
  }
}

async function textOf(locator) {
  return ((await locator.textContent({ timeout: 5000 })) ?? "").replace(/\s+/g, " ").trim();
}

async function expectText(locator, expected, what, options) {
  let seen = "";
  await eventually(
    () => `${what}: expected ${expected instanceof RegExp ? expected : JSON.stringify(expected)}, saw ${JSON.stringify(seen)}`,
    async () => {
      seen = await textOf(locator);
      return expected instanceof RegExp ? expected.test(seen) : seen === expected;
    },
    options,
  );
}

// The dashboard's own formatting rules for the small numbers this test sends (src/lib/format.ts).
const formatCount = (n) => n.toLocaleString("en-US");
function formatPercent(ratio) {
  const pct = ratio * 100;
  if (pct === 0) return "0%";
  return `${pct.toFixed(Math.abs(pct) >= 10 ? 1 : 2).replace(/\.?0+$/, "")}%`;
}

// -- the run -----------------------------------------------------------------------------------------

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), "lynex-e2e-chromium-"));
const consoleProblems = [];
let shotNumber = 0;
let context;
let page;
let currentStep = "start";

async function shot(name, target = page) {
  shotNumber += 1;
  const file = path.join(SHOTS, `${String(shotNumber).padStart(2, "0")}-${name}.png`);
  await target.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

async function step(name, body) {
  currentStep = name;
  const started = Date.now();
  log(`step: ${name}`);
  await body();
  log(`  ok (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

/** Chromium reports every non-2xx fetch as a console error; these are the answers the flow expects. */
function expectedNetworkError(message) {
  const url = message.location()?.url ?? "";
  const text = message.text();
  if (!text.startsWith("Failed to load resource")) return false;
  return (
    (url.endsWith("/api/v1/auth/me") && text.includes("401")) ||
    (url.endsWith("/api/v1/auth/login") && text.includes("401")) ||
    (url.endsWith("/api/v1/auth/signup") && text.includes("422")) ||
    (url.endsWith("/members") && text.includes("404")) ||
    // The last owner trying to leave: the server refuses, the section shows why.
    (/\/members\/[^/]+$/.test(url) && text.includes("409"))
  );
}

function watchConsole(target) {
  target.on("console", (message) => {
    if (message.type() === "error" && !expectedNetworkError(message)) {
      consoleProblems.push(`${currentStep}: console.error ${message.text()} (${message.location()?.url ?? "?"})`);
    }
  });
  target.on("pageerror", (error) => consoleProblems.push(`${currentStep}: uncaught ${error.message}`));
}

async function statText(id) {
  return await textOf(page.locator(`[data-testid="stat-${id}"]`));
}

function panel(title) {
  return page.locator(`section[data-panel="${title}"]`);
}

async function rowsShown() {
  return await page.locator("tbody tr[data-event-id]").count();
}

async function main() {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 960 },
    colorScheme: "dark",
  });
  page = context.pages()[0] ?? (await context.newPage());
  watchConsole(page);
  page.setDefaultTimeout(15_000);

  await step("a signed-out visitor is sent to the login page", async () => {
    await page.goto(`${BASE}/`);
    await page.waitForURL(/\/login/);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot("login");
  });

  await step("sign-up refuses a weak password, then creates the account", async () => {
    await page.getByRole("link", { name: "Create one" }).click();
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Use at least 10 characters.").waitFor();
    await shot("signup-weak-password");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/welcome$/);
    await page.getByRole("heading", { name: "Welcome to Lynex" }).waitFor();
    await shot("welcome");
  });

  let projectId;
  let secret;
  await step("create a project: its overview shows how to send the first event", async () => {
    await page.getByLabel("Project name", { exact: true }).fill("E2E Shop");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(/\/projects\/[^/]+\/overview/);
    projectId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2]);
    await page.getByRole("heading", { name: "Send your first event to E2E Shop" }).waitFor();
    check((await textOf(page.locator("pre[data-snippet]"))).includes("sk_live_YOUR_KEY"), "snippet shows a placeholder before a key exists");
    await shot("first-run-no-key");
  });

  await step("create a key from the first-run page: the snippets use the real key and endpoint", async () => {
    await page.getByRole("button", { name: "Create an API key" }).click();
    secret = await textOf(page.getByTestId("first-run-secret"));
    check(/^sk_live_\S+$/.test(secret), `a secret was shown (${secret.slice(0, 10)}…)`);
    const python = await textOf(page.locator('pre[data-snippet="python"]'));
    check(python.includes(secret) && python.includes(`endpoint="${BASE}"`), "the Python snippet has the key and endpoint");
    await page.getByRole("tab", { name: "JavaScript" }).click();
    const js = await textOf(page.locator('pre[data-snippet="javascript"]'));
    check(js.includes(`${BASE}/api/v1/events`) && js.includes(secret), "the JavaScript snippet has the ingest URL and key");
    await shot("first-run-with-key");
  });

  const sent = await ask({ step: "key", secret, projectId });
  check(sent.step === "sent", `driver answered ${sent.step}`);
  const expect = sent.expect;
  log(`driver sent ${expect.total} events (${expect.requests} LLM calls)`);

  await step("the first-run page turns into the dashboard when the events arrive, without a reload", async () => {
    await page.getByText("Your first event arrived").waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="stat-requests-today"]').waitFor();
  });

  const refresh = () => page.getByRole("button", { name: "Refresh now" }).click();
  await step("the stat panels show what was sent", async () => {
    const options = { timeout: 30_000, interval: 1000, between: refresh };
    await expectText(page.getByTestId("stat-requests-today"), formatCount(expect.requestsToday), "requests today", options);
    await expectText(page.getByTestId("stat-requests-7d"), formatCount(expect.requests), "requests 7 d", options);
    await expectText(page.getByTestId("stat-requests-30d"), formatCount(expect.requests), "requests 30 d", options);
    await expectText(page.getByTestId("stat-error-rate"), formatPercent(expect.errorRate), "error rate", options);
    await expectText(page.getByTestId("stat-input-tokens"), formatCount(expect.inputTokens), "input tokens", options);
    await expectText(page.getByTestId("stat-output-tokens"), formatCount(expect.outputTokens), "output tokens", options);
    const cost = await statText("cost");
    const shown = Number(cost.replace(/^\$/, "").replace(/,/g, ""));
    check(cost.startsWith("$") && Math.abs(shown - expect.costUsd) <= Math.max(1e-9, expect.costUsd * 0.05), `cost ${cost} ≈ $${expect.costUsd}`);
  });

  await step("data health: every accepted event stored, nothing dead-lettered, nothing missing", async () => {
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Data health" }).click();
    const options = { timeout: 30_000, interval: 1500, between: () => page.reload() };
    await expectText(page.getByTestId("figure-accepted"), formatCount(expect.total), "accepted", options);
    await expectText(page.getByTestId("figure-stored"), formatCount(expect.total), "stored", options);
    await expectText(page.getByTestId("figure-dead-lettered"), "0", "dead-lettered", options);
    await expectText(page.getByTestId("figure-missing"), "0", "missing", options);
    await expectText(page.getByTestId("verdict"), /^Nothing missing/, "verdict", options);
    await shot("data-health");
    await nav.getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("stat-requests-7d").waitFor();
  });

  await step("the time-series charts draw the data, with legends and a tooltip", async () => {
    const requests = panel("Requests and errors");
    await requests.locator("canvas").first().waitFor();
    await expectText(requests.getByRole("button", { name: /^Requests / }), `Requests ${formatCount(expect.requests)}`, "requests legend total", {
      between: refresh,
    });
    await expectText(requests.getByRole("button", { name: /^Errors / }), `Errors ${formatCount(expect.errors)}`, "errors legend total");
    await expectText(panel("Tokens").getByRole("button", { name: /^Input / }), `Input ${formatCount(expect.inputTokens)}`, "tokens legend");
    await panel("Latency").locator("canvas").first().waitFor();
    await panel("Cost").locator("canvas").first().waitFor();
    for (const model of Object.keys(expect.models)) {
      await panel("Requests by model").getByRole("button", { name: new RegExp(`^${model.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} `) }).waitFor();
    }
    const breakdown = panel("Breakdown by model");
    for (const [model, count] of Object.entries(expect.models)) {
      const row = breakdown.locator("tr", { has: page.getByRole("link", { name: model, exact: true }) });
      await expectText(row.locator("td").first(), formatCount(count), `breakdown requests of ${model}`);
    }
    // Hover the middle of the requests chart: the tooltip names the series.
    const over = requests.locator(".u-over");
    const box = await over.boundingBox();
    check(box, "the chart has a plotting area");
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width - 8, box.y + box.height / 2);
    await requests.locator(".lynex-chart-tooltip").waitFor({ state: "visible" });
    check((await textOf(requests.locator(".lynex-chart-tooltip"))).includes("Requests"), "the tooltip lists Requests");
    await shot("overview-dark");
    await page.mouse.move(0, 0);
  });

  await step("light theme", async () => {
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    await eventually("html loses the dark class", async () => !(await page.evaluate(() => document.documentElement.classList.contains("dark"))));
    await panel("Requests and errors").locator("canvas").first().waitFor();
    await shot("overview-light");
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
  });

  await step("time range and auto-refresh live in the URL and survive a reload", async () => {
    await page.getByLabel("Time range", { exact: true }).selectOption("1h");
    await page.waitForURL(/range=1h/);
    await page.getByLabel("Auto-refresh", { exact: true }).selectOption("30s");
    await page.waitForURL(/refresh=30s/);
    await page.reload();
    await page.getByTestId("stat-requests-today").waitFor();
    check((await page.getByLabel("Time range", { exact: true }).inputValue()) === "1h", "range kept after reload");
    check((await page.getByLabel("Auto-refresh", { exact: true }).inputValue()) === "30s", "refresh kept after reload");
    await expectText(page.getByTestId("stat-input-tokens"), formatCount(expect.inputTokens), "tokens in the last hour");
    // A custom range in the past holds nothing.
    await page.getByLabel("Time range", { exact: true }).selectOption("custom");
    await page.getByLabel("From", { exact: true }).fill("2020-01-01T00:00");
    await page.getByLabel("To", { exact: true }).fill("2020-01-02T00:00");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/from=2020-01-01/);
    await expectText(page.getByTestId("stat-input-tokens"), "0", "tokens in 2020");
    await panel("Requests and errors").getByText("No data in this time range").waitFor();
    await shot("overview-custom-range-empty");
    await page.getByLabel("Time range", { exact: true }).selectOption("24h");
    await page.getByLabel("Auto-refresh", { exact: true }).selectOption("off");
  });

  await step("events explorer: newest first, every event, paged with the cursor", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
    await page.waitForURL(/\/events/);
    await eventually(`50 rows on page 1 of ${expect.total}`, async () => (await rowsShown()) === Math.min(50, expect.total));
    const times = await page.locator("tbody tr[data-event-id] td:first-child").allTextContents();
    const sorted = [...times].sort().reverse();
    check(JSON.stringify(times) === JSON.stringify(sorted), "rows are newest first");
    await shot("events");
    await page.getByRole("button", { name: "Older →" }).click();
    await eventually(`the rest on page 2`, async () => (await rowsShown()) === expect.total - 50);
    await page.getByText("Page 2").waitFor();
    await page.getByRole("button", { name: "← Newer" }).click();
    await eventually("page 1 again", async () => (await rowsShown()) === 50);
  });

  await step("filter the explorer by type, model and status", async () => {
    const filters = page.getByRole("search", { name: "Filter events" });
    await filters.getByLabel("Type", { exact: true }).selectOption("llm_call");
    await page.waitForURL(/type=llm_call/);
    await eventually(`${expect.requests} LLM calls`, async () => (await rowsShown()) === expect.requests);
    const [model, count] = Object.entries(expect.models)[0];
    await filters.getByLabel("Model", { exact: true }).fill(model);
    await filters.getByLabel("Model", { exact: true }).press("Enter");
    await page.waitForURL(/model=/);
    await eventually(`${count} calls of ${model}`, async () => (await rowsShown()) === count);
    const models = await page.locator("tbody tr[data-event-id] td:nth-child(3)").allTextContents();
    check(models.every((m) => m.trim() === model), "every row is of the model filtered on");
    await shot("events-filtered-by-model");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await filters.getByLabel("Status", { exact: true }).selectOption("error");
    await eventually(`${expect.statusError} events with status error`, async () => (await rowsShown()) === expect.statusError);
    await shot("events-filtered-errors");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await filters.getByLabel("Type", { exact: true }).selectOption("log");
    await eventually(`${expect.logs} logs`, async () => (await rowsShown()) === Math.min(50, expect.logs));
    await filters.getByLabel("Type", { exact: true }).selectOption("llm_call");
    await eventually(`${expect.requests} LLM calls again`, async () => (await rowsShown()) === expect.requests);
  });

  await step("open an event with the keyboard: prompt and response readable, the rest as JSON", async () => {
    const row = page.locator(`tr[data-event-id="${expect.sample.eventId}"]`);
    await row.waitFor();
    const toggle = row.getByRole("button");
    await toggle.focus();
    await page.keyboard.press("Enter");
    const detail = page.getByTestId("event-detail");
    await detail.waitFor();
    check((await toggle.getAttribute("aria-expanded")) === "true", "the row says it is expanded");
    await detail.getByRole("region", { name: "Prompt" }).getByText(expect.sample.prompt).waitFor();
    await detail.getByRole("region", { name: "Response" }).getByText(expect.sample.response).waitFor();
    const body = await textOf(detail.getByLabel("Body (JSON)"));
    check(body.includes('"model"') && body.includes(expect.sample.model), "the rest of the body is JSON");
    check(page.url().includes(`event=${expect.sample.eventId}`), "the open event is in the URL");
    await shot("event-detail");
  });

  await step("a deep link opens the explorer filtered, with the event open", async () => {
    const deep = await context.newPage();
    watchConsole(deep);
    const url = `${BASE}/projects/${encodeURIComponent(projectId)}/events?model=${encodeURIComponent(expect.sample.model)}&event=${expect.sample.eventId}&range=7d`;
    await deep.goto(url);
    await deep.getByTestId("event-detail").getByRole("region", { name: "Prompt" }).getByText(expect.sample.prompt).waitFor();
    check((await deep.locator("tbody tr[data-event-id]").count()) === expect.models[expect.sample.model], "deep link keeps the model filter");
    check((await deep.getByLabel("Time range", { exact: true }).inputValue()) === "7d", "deep link keeps the range");
    await shot("deep-link", deep);
    await deep.close();
  });

  await step("alerts: create a rule, see it listed with its channel masked, disable it", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
    await page.getByText("No alert rules yet").waitFor();
    await page.getByText("No alerts in this time range").waitFor();
    await page.getByRole("button", { name: "New rule" }).click();
    const form = page.getByRole("form", { name: "Create an alert rule" });
    await form.getByLabel("Name", { exact: true }).fill("e2e error spike");
    await form.getByLabel("Kind").selectOption("error_rate");
    await form.getByLabel("Error rate above (%)").fill("50");
    await form.getByLabel("Minimum requests in window").fill("10");
    await form.getByLabel("Model (optional)").fill("gpt-4o");
    await form.getByLabel("Channel URLs").fill("json://127.0.0.1:9/lynex-e2e-hook");
    await shot("alerts-new-rule");
    await form.getByRole("button", { name: "Create rule" }).click();
    const row = page.locator('tr[data-rule-name="e2e error spike"]');
    await row.waitFor();
    await expectText(row, /Error rate > 50 % over 5 min, ≥ 10 requests/, "rule condition");
    const rowText = await textOf(row);
    check(!rowText.includes("lynex-e2e-hook"), `channel URL is masked in the list: ${rowText}`);
    const toggle = row.getByRole("switch", { name: "Enabled: e2e error spike" });
    check(await toggle.isChecked(), "a new rule is enabled");
    await toggle.click();
    await eventually("the rule is disabled", async () => !(await toggle.isChecked()) && (await toggle.isEnabled()));
    await page.reload();
    const reloaded = page.locator('tr[data-rule-name="e2e error spike"]').getByRole("switch", { name: "Enabled: e2e error spike" });
    await reloaded.waitFor();
    check(!(await reloaded.isChecked()), "the rule stays disabled after a reload");
    await shot("alerts");
  });

  await step("settings: the key's usage, a new key shown once with a copy button", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    const first = page.locator('tr[data-key-name="first key"]');
    await first.waitFor();
    await expectText(first.getByTestId("key-usage"), formatCount(expect.total), "events accepted by the first key", {
      timeout: 30_000,
      interval: 1500,
      between: () => page.reload(),
    });
    check(!/never/.test(await textOf(first)), "the key shows when it was last used");
    await page.getByLabel("New key name", { exact: true }).fill("ci key");
    await page.getByRole("button", { name: "Create key" }).click();
    const created = page.getByTestId("new-key-secret");
    const newSecret = await textOf(created.getByTestId("secret-value"));
    check(/^sk_live_/.test(newSecret) && newSecret !== secret, "a new secret is shown");
    await created.getByRole("button", { name: "Copy secret" }).click();
    await created.getByRole("button", { name: /^Copied$|^Copy failed/ }).waitFor();
    await shot("settings-new-key");
    await created.getByRole("button", { name: "Done" }).click();
    await page.reload();
    await page.locator('tr[data-key-name="ci key"]').waitFor();
    check(!(await page.content()).includes(newSecret), "the secret is not shown again");
  });

  await step("revoke a key", async () => {
    const first = page.locator('tr[data-key-name="first key"]');
    await first.getByRole("button", { name: "Revoke" }).click();
    await first.getByRole("button", { name: "Revoke key" }).click();
    await first.getByText(/^Revoked/).waitFor();
    await shot("settings-key-revoked");
    const checked = await ask({ step: "revoked", keyName: "first key" });
    check(checked.step === "revoke-checked" && checked.ok, `the driver saw the revoked key refused (${JSON.stringify(checked)})`);
  });

  await step("members: the only owner cannot leave (409); an unknown email is refused; a member added stays listed after a reload", async () => {
    const invited = await ask({ step: "member", projectId });
    check(invited.step === "member-ready" && typeof invited.email === "string", `the driver signed up a second user (${JSON.stringify(invited)})`);
    const members = panel("Members");
    const you = members.locator(`tr[data-member-email="${EMAIL}"]`);
    await expectText(you.locator("th"), `${EMAIL} you`, "the signed-in user is listed");
    await expectText(you.locator("td").first(), "Owner", "the signed-in user's role");
    check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(await textOf(you.locator("time"))), "the signed-in user's row says since when");
    await members.getByText(/^You are the only owner/).waitFor();
    await you.getByRole("button", { name: "Leave" }).click();
    await you.getByRole("button", { name: "Leave project" }).click();
    await expectText(members.getByRole("alert"), "a project needs at least one owner: make someone else an owner first", "the server's 409 for the last owner");
    await shot("settings-member-last-owner");
    await expectText(you.locator("td").first(), "Owner", "still the owner after the refusal");

    const email = members.getByLabel("Email", { exact: true });
    const add = members.getByRole("button", { name: "Add member" });
    await email.fill(`nobody-${Date.now().toString(36)}@example.com`);
    await add.click();
    await members.getByText(/^No Lynex account uses this email/).waitFor();
    check((await email.getAttribute("aria-invalid")) === "true", "the email field is marked invalid");
    await shot("settings-member-unknown-email");
    await email.fill(invited.email);
    await add.click();
    await members.getByRole("status").getByText(`${invited.email} is now a member of E2E Shop.`).waitFor();
    const row = members.locator(`tr[data-member-email="${invited.email}"]`);
    check((await row.getByLabel(`Role of ${invited.email}`).inputValue()) === "member", "the new member is listed with their role");
    // The list comes from the server: a reload still shows them, after the owner.
    await page.reload();
    await row.waitFor();
    check((await row.getByLabel(`Role of ${invited.email}`).inputValue()) === "member", "the new member is still listed after a reload");
    const order = await members.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-member-email")));
    check(JSON.stringify(order) === JSON.stringify([EMAIL, invited.email]), `owners first, then by join time: ${JSON.stringify(order)}`);
    await shot("settings-member-added");
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    await eventually("html loses the dark class", async () => !(await page.evaluate(() => document.documentElement.classList.contains("dark"))));
    await shot("settings-member-added-light");
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    const added = await ask({ step: "member-added", projectId, ownerEmail: EMAIL });
    check(added.step === "member-checked" && added.ok, `the second user can read the project and its members (${JSON.stringify(added)})`);
    await row.getByRole("button", { name: "Remove" }).click();
    await row.getByRole("button", { name: "Remove member" }).click();
    await row.waitFor({ state: "detached" });
    const removed = await ask({ step: "member-removed", projectId });
    check(removed.step === "member-checked" && removed.ok, `the second user lost the project (${JSON.stringify(removed)})`);
  });

  await step("projects: create a second one, switch back with the switcher", async () => {
    await page.getByLabel("New project name", { exact: true }).fill("Second project");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "Send your first event to Second project" }).waitFor();
    await page.getByLabel("Project", { exact: true }).selectOption({ label: "E2E Shop" });
    await page.waitForURL(new RegExp(`/projects/${projectId}/overview`));
    await expectText(page.getByTestId("stat-requests-7d"), formatCount(expect.requests), "back on the first project");
  });

  await step("sign out, a wrong password is refused, sign in again", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Wrong email or password.").waitFor();
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/projects\/.+\/overview/);
    await page.getByTestId("stat-requests-7d").waitFor();
  });

  await step("no console errors", async () => {
    check(consoleProblems.length === 0, `console errors:\n  ${consoleProblems.join("\n  ")}`);
  });
}

let code = 0;
try {
  await main();
  log(`PASS: every step passed; screenshots in ${SHOTS}`);
} catch (error) {
  code = 1;
  console.error(`[e2e] FAIL in step "${currentStep}": ${error instanceof Failure ? error.message : error?.stack ?? error}`);
  if (consoleProblems.length) console.error(`[e2e] console errors so far:\n  ${consoleProblems.join("\n  ")}`);
  if (page) await shot(`FAILED-${currentStep.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`).catch(() => {});
} finally {
  tell({ step: "done", ok: code === 0, screenshots: SHOTS });
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
