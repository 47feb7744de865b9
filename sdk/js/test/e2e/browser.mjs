// Driven by tests/sdk/test_js_e2e.py: open the test page in Chromium (Debian's, via playwright-core),
// capture events with the SDK there, then hide the page, and report what the page sent.
// Usage: node browser.mjs <page url> <run id> <hide|navigate>
import { chromium } from "playwright-core";

const [pageUrl, run, mode] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const result = { mode };
try {
  const page = await browser.newPage();
  page.on("console", (message) => console.error(`[page ${message.type()}] ${message.text()}`));
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));
  const posts = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/api/v1/events")) posts.push(request);
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.lynexReady === true);
  result.before = await page.evaluate((id) => window.captureSome(id), run);
  result.postsBeforeHide = posts.length; // flushAt and flushInterval are large: nothing sent yet

  if (mode === "hide") {
    const response = page.waitForResponse((r) => r.url().includes("/api/v1/events"), { timeout: 10_000 });
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    const answered = await response;
    result.status = answered.status();
    const request = answered.request();
    result.keepalive = await page.evaluate(() => window.lastFetchKeepalive);
    result.headers = request.headers();
    result.after = await page.evaluate(() => window.lynex.stats());
  } else {
    await page.goto("about:blank"); // pagehide: the keepalive request outlives the page
    result.postsAfterNavigation = posts.length;
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
