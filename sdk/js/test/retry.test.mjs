// JS SDK retries: 429/503/network errors are retried with backoff honouring Retry-After and the same
// bytes; other 4xx are dropped, not retried, and reported once.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { Lynex } from "../dist/esm/index.js";
import { backoffDelay, parseRetryAfter, retryDelay } from "../dist/esm/retry.js";
import { deadUrl, sleep, startGateway } from "./helpers.mjs";

let gateway;
const clients = [];
const client = (options) => {
  const c = new Lynex({ apiKey: "sk_test", endpoint: gateway.url, flushOnExit: false, ...options });
  clients.push(c);
  return c;
};
before(async () => {
  gateway = await startGateway();
});
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown(200)));
  await gateway.close();
});
const reset = () => gateway.requests.splice(0);

for (const status of [503, 429]) {
  test(`${status} + Retry-After: waited for, and the retry is the same request`, async () => {
    reset();
    gateway.script({ status, headers: { "Retry-After": "1" } });
    const lynex = client({ backoffBaseMs: 10 });
    for (let i = 0; i < 3; i++) lynex.captureLLMCall({ model: "m", prompt: `p${i}` });
    assert.equal(await lynex.flush(10_000), true);
    const [first, second] = gateway.requests;
    assert.deepEqual([first.status, second.status], [status, 202]);
    assert.ok(second.at - first.at >= 1000, "waited at least Retry-After");
    assert.equal(second.text, first.text, "same events, same ids: the pipeline deduplicates");
    const stats = lynex.stats();
    assert.deepEqual([stats.sent, stats.retries, stats.failed], [3, 1, 0]);
  });
}

test("a network error is retried until the gateway is back", async () => {
  const url = await deadUrl();
  const port = Number(url.split(":").pop());
  const lynex = new Lynex({ apiKey: "k", endpoint: url, flushAt: 1, backoffBaseMs: 100, backoffMaxMs: 300, flushOnExit: false });
  lynex.captureLLMCall({ model: "m" });
  await sleep(500);
  assert.ok(lynex.stats().retries >= 1);
  const bodies = [];
  const server = createServer((req, res) => {
    req.on("data", (c) => bodies.push(c));
    req.on("end", () => res.writeHead(202).end("{}"));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  try {
    assert.equal(await lynex.flush(5000), true);
    assert.equal(lynex.stats().sent, 1);
  } finally {
    await lynex.shutdown(100);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

for (const status of [400, 401, 403, 415, 422]) {
  test(`${status} is not retried and is reported once`, async (t) => {
    reset();
    const warn = t.mock.method(console, "warn", () => {});
    gateway.script({ status }, { status });
    const lynex = client({ flushAt: 2, backoffBaseMs: 10 });
    for (let round = 0; round < 2; round++) {
      lynex.log("info", "a");
      lynex.log("info", "b");
      assert.equal(await lynex.flush(5000), true);
    }
    assert.deepEqual(gateway.requests.map((r) => r.status), [status, status]);
    assert.equal(lynex.stats().rejected, 4);
    assert.equal(lynex.stats().retries, 0);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), new RegExp(String(status)));
    lynex.log("info", "c");
    await lynex.flush(5000);
    assert.equal(gateway.requests.at(-1).status, 202, "the client keeps working");
  });
}

test("retries stop after maxRetries and the next batch goes on", async (t) => {
  reset();
  t.mock.method(console, "warn", () => {});
  gateway.script({ status: 503 }, { status: 503 }, { status: 503 });
  const lynex = client({ maxRetries: 2, backoffBaseMs: 10, flushAt: 1000 });
  lynex.log("info", "lost");
  await lynex.flush(5000);
  lynex.log("info", "kept");
  await lynex.flush(5000);
  assert.deepEqual(gateway.requests.map((r) => r.status), [503, 503, 503, 202]);
  assert.deepEqual(gateway.accepted().map((e) => e.body.message), ["kept"]);
  assert.equal(lynex.stats().failed, 1);
});

test("backoff is exponential with equal jitter, capped; Retry-After wins when longer", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30_000, 500 * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, 500, 30_000);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `${attempt}: ${d}`);
    }
  }
  assert.ok(retryDelay(0, 500, 30_000, 7000) >= 7000);
  assert.ok(retryDelay(0, 500, 30_000, undefined) <= 500);
});

test("Retry-After parsing", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(" 1.5 "), 1500);
  assert.equal(parseRetryAfter("999999"), 300_000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const now = Date.now();
  const inTwenty = new Date(now + 20_000).toUTCString();
  assert.ok(Math.abs(parseRetryAfter(inTwenty, now) - 20_000) <= 1000);
});
