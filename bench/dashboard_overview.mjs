#!/usr/bin/env node
/**
 * Times the dashboard's overview in Debian's Chromium (playwright-core from dashboard/node_modules): signs
 * in, then per time range one cold load (a new browser context: empty HTTP cache) and N warm ones (the same
 * context, a new navigation), each from navigation start until every panel shows its data, with every
 * /api/ call's PerformanceResourceTiming. Started by bench/dashboard_bench.py:
 *
 *   LYNEX_BENCH_PASSWORD=... node bench/dashboard_overview.mjs <base-url> <email> <project-id> <screenshot-dir> [ranges] [warm]
 *
 * Progress goes to stderr; the result is one JSON line on stdout.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { CHROMIUM, CHROMIUM_ARGS } from "../dashboard/e2e/chromium.mjs";

const require = createRequire(new URL("../dashboard/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [, , baseArg, email, projectId, shotsArg, rangesArg = "24h,7d,30d", warmArg = "5"] = process.argv;
const password = process.env.LYNEX_BENCH_PASSWORD;
if (!baseArg || !email || !projectId || !shotsArg || !password) {
  console.error("usage: LYNEX_BENCH_PASSWORD=... node bench/dashboard_overview.mjs <base-url> <email> <project-id> <screenshot-dir> [ranges] [warm]");
  process.exit(2);
}
const BASE = baseArg.replace(/\/+$/, "");
const SHOTS = path.resolve(shotsArg);
const RANGES = rangesArg.split(",").filter(Boolean);
const WARM = Number(warmArg);
const TIMEOUT_MS = 120_000;
// STAT_PANELS and TIME_SERIES_PANELS in dashboard/src/features/overview/panels.ts.
const PANELS = { stats: 7, charts: 5 };
const CONTEXT_OPTIONS = { viewport: { width: 1440, height: 960 }, colorScheme: "dark" };

function log(...parts) {
  console.error("[overview]", ...parts);
}

/**
 * Runs in the page, on every animation frame: performance.now() (ms since navigation start) once every
 * panel of the overview shows its data, else false. "Shows its data" = the 7 stat panels hold a number
 * (no loading skeleton), each time-series panel holds a uPlot canvas, the model breakdown its table, and
 * nothing in <main> is a loading state or a refresh spinner (both role="status").
 */
function overviewRendered({ stats, charts }) {
  const main = document.querySelector("main");
  if (!main) return false;
  const statPanels = main.querySelectorAll("[data-stat]");
  if (statPanels.length !== stats || main.querySelector('[data-stat] [aria-label="Loading"]')) return false;
  if (main.querySelectorAll("section[data-panel] .lynex-chart canvas").length < charts) return false;
  if (!main.querySelector('section[data-panel="Breakdown by model"] table tbody tr')) return false;
  if (main.querySelector('[role="status"], [role="alert"]')) return false;
  return performance.now();
}

/** Each /api/ call of the document: what it asked, and its timing phases in ms. */
function apiTimings() {
  return performance
    .getEntriesByType("resource")
    .filter((e) => new URL(e.name).pathname.startsWith("/api/"))
    .map((e) => ({
      url: e.name,
      start_ms: e.startTime,
      duration_ms: e.duration,
      // Waiting for a connection (Chromium opens at most 6 per host over HTTP/1.1) and sending.
      queued_ms: e.requestStart - e.startTime,
      // From the request sent to the first byte back: the server's time plus the loopback.
      ttfb_ms: e.responseStart - e.requestStart,
      download_ms: e.responseEnd - e.responseStart,
      bytes: e.encodedBodySize,
      status: e.responseStatus,
    }));
}

/** The document's other resources (scripts, styles): when each arrived, and whether from the HTTP cache. */
function assetTimings() {
  return performance
    .getEntriesByType("resource")
    .filter((e) => !new URL(e.name).pathname.startsWith("/api/"))
    .map((e) => ({
      path: new URL(e.name).pathname,
      start_ms: e.startTime,
      end_ms: e.responseEnd,
      transferred: e.transferSize,
    }));
}

async function statTexts(page) {
  return await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("[data-testid^='stat-']")].map((el) => [el.dataset.testid.slice(5), el.textContent.trim()])),
  );
}

async function signIn(context) {
  const page = await context.newPage();
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/projects\/[^/]+\/overview/, { timeout: TIMEOUT_MS });
  await page.close();
}

async function loadOnce(page, url, panels) {
  await page.goto(url, { waitUntil: "commit", timeout: TIMEOUT_MS });
  const handle = await page.waitForFunction(overviewRendered, panels, { polling: "raf", timeout: TIMEOUT_MS });
  const renderedMs = await handle.jsonValue();
  // Calls still under way (none expected) are not in the list yet: wait for the network to go quiet.
  await page.waitForLoadState("networkidle", { timeout: TIMEOUT_MS }).catch(() => {});
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return n ? { dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd } : {};
  });
  return { rendered_ms: renderedMs, ...nav, api: await page.evaluate(apiTimings), assets: await page.evaluate(assetTimings) };
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const out = { browser: `Chromium ${browser.version()}`, viewport: CONTEXT_OPTIONS.viewport, ranges: {} };
  try {
    const login = await browser.newContext(CONTEXT_OPTIONS);
    await signIn(login);
    const storageState = await login.storageState();
    await login.close();
    for (const range of RANGES) {
      const url = `${BASE}/projects/${encodeURIComponent(projectId)}/overview?range=${range}`;
      const context = await browser.newContext({ ...CONTEXT_OPTIONS, storageState });
      const page = await context.newPage();
      const loads = [];
      for (let i = 0; i <= WARM; i += 1) {
        const load = await loadOnce(page, url, PANELS);
        load.kind = i === 0 ? "cold" : "warm";
        loads.push(load);
        log(`${range} ${load.kind} ${i}: rendered at ${load.rendered_ms.toFixed(0)} ms, ${load.api.length} API calls`);
        if (i === 1) await page.screenshot({ path: path.join(SHOTS, `overview-${range}.png`), fullPage: true });
      }
      out.ranges[range] = { url, stats_shown: await statTexts(page), loads };
      await context.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
