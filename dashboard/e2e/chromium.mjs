/**
 * How the dashboard's browser runs launch Debian's Chromium (dashboard/e2e/run.mjs, bench/dashboard_overview.mjs).
 */
export const CHROMIUM = process.env.LYNEX_CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialling Google's hosts, which a closed network refuses.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
