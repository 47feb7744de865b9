#!/usr/bin/env node
/**
 * Screenshot of the Data health (accounting) page in a real Chromium against a running Lynex with real data.
 * Usage:
 *
 *   node dashboard/e2e/accounting-shot.mjs <base-url> <email> <password> <project-id> <stored> <out.png>
 *
 * Signs in, opens the project's Data health page for the last hour, reloads until the page shows <stored>
 * stored events and at least one dead-lettered record (the pipeline is asynchronous), and saves a full-page
 * screenshot. Exit code 0 when it did.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";

const [, , baseArg, email, password, projectId, storedArg, outArg] = process.argv;
if (!baseArg || !email || !password || !projectId || !storedArg || !outArg) {
  console.error("usage: node dashboard/e2e/accounting-shot.mjs <base-url> <email> <password> <project-id> <stored> <out.png>");
  process.exit(2);
}
const BASE = baseArg.replace(/\/+$/, "");
const stored = Number(storedArg).toLocaleString("en-US");
const profile = mkdtempSync(path.join(tmpdir(), "lynex-shot-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1440, height: 900 },
  colorScheme: "dark",
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/projects\/|\/welcome/);
  const url = `${BASE}/projects/${encodeURIComponent(projectId)}/accounting?range=1h`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    await page.goto(url);
    await page.getByTestId("figure-stored").waitFor();
    const shown = (await page.getByTestId("figure-stored").textContent())?.trim();
    const reasons = await page.locator('section[data-panel="Dead-letter reasons"] tbody tr').count();
    if (shown === stored && reasons > 0) break;
    if (Date.now() > deadline) throw new Error(`the page shows ${shown} stored and ${reasons} reason(s), expected ${stored} and some`);
    await page.waitForTimeout(1000);
  }
  await page.screenshot({ path: path.resolve(outArg), fullPage: true });
  console.log(`screenshot ${path.resolve(outArg)}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
