// JS SDK batching: when a request goes out, what is in it, and that flush() waits for delivery.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Lynex } from "../dist/esm/index.js";
import { schemaValidator, sleep, startGateway } from "./helpers.mjs";

const validate = schemaValidator();
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

test("a batch goes out as soon as flushAt events are queued", async () => {
  reset();
  const lynex = client({ flushAt: 10, flushIntervalMs: 60_000 });
  const started = Date.now();
  for (let i = 0; i < 10; i++) lynex.captureLLMCall({ model: "gpt-4o-mini", tokens: { input: i, output: 1 }, latencyMs: 5 });
  const [request] = await gateway.waitForRequests(1);
  assert.ok(request.at - started < 1000);
  assert.deepEqual(request.body.events.map((e) => e.body.tokens.input), [...Array(10).keys()]);
  validate(request.body);
});

test("fewer events go out after flushIntervalMs", async () => {
  reset();
  const lynex = client({ flushAt: 100, flushIntervalMs: 300 });
  const started = Date.now();
  for (let i = 0; i < 3; i++) lynex.log("info", "hello");
  const [request] = await gateway.waitForRequests(1);
  assert.equal(request.body.events.length, 3);
  const elapsed = request.at - started;
  assert.ok(elapsed >= 250 && elapsed < 2000, `${elapsed} ms`);
});

test("requests are gzipped JSON with the API key header", async () => {
  reset();
  const lynex = client({ apiKey: "sk_live_abc" });
  lynex.log("info", "hello");
  assert.equal(await lynex.flush(5000), true);
  const [request] = gateway.requests;
  assert.equal(request.headers["content-encoding"], "gzip");
  assert.equal(request.headers["content-type"], "application/json");
  assert.equal(request.headers["x-api-key"], "sk_live_abc");
});

test("batches are capped at maxBatchSize and keep their order", async () => {
  reset();
  const lynex = client({ maxBatchSize: 50, flushAt: 1000, flushIntervalMs: 60_000 });
  for (let i = 0; i < 120; i++) lynex.log("info", `event ${i}`);
  assert.equal(await lynex.flush(5000), true);
  assert.deepEqual(gateway.requests.map((r) => r.body.events.length), [50, 50, 20]);
  assert.deepEqual(gateway.accepted().map((e) => e.body.message), [...Array(120).keys()].map((i) => `event ${i}`));
});

test("flush resolves after delivery; with nothing queued at once", async () => {
  reset();
  const lynex = client({ flushAt: 1000, flushIntervalMs: 60_000 });
  for (let i = 0; i < 5; i++) lynex.captureLLMCall({ model: "m" });
  assert.equal(await lynex.flush(5000), true);
  assert.equal(gateway.accepted().length, 5);
  assert.equal(lynex.stats().sent, 5);
  assert.equal(await lynex.flush(10), true);
  lynex.log("info", "last");
  assert.equal(await lynex.shutdown(), true, "shutdown reports a complete delivery");
  assert.equal(gateway.accepted().length, 6);
});

test("no request at all without events", async () => {
  reset();
  const lynex = client({ flushIntervalMs: 20 });
  await sleep(200);
  assert.equal(await lynex.flush(100), true);
  assert.equal(gateway.requests.length, 0);
});
