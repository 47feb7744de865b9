// JS SDK under failure: the queue is bounded (oldest dropped, counted), a dead or hanging gateway
// never throws into the app nor rejects its promises, and bad input never costs a batch.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";

import { Lynex } from "../dist/esm/index.js";
import { deadUrl, schemaValidator, startGateway } from "./helpers.mjs";

const validate = schemaValidator();
let gateway;
before(async () => {
  gateway = await startGateway();
});
after(async () => {
  await gateway.close();
});

test("a full queue drops the oldest events and counts them", async () => {
  gateway.requests.splice(0);
  const lynex = new Lynex({ apiKey: "k", endpoint: gateway.url, maxQueueSize: 100, flushAt: 1e6, flushIntervalMs: 60_000, flushOnExit: false });
  for (let i = 0; i < 150; i++) lynex.log("info", `m${i}`);
  assert.equal(lynex.stats().dropped, 50);
  assert.equal(lynex.stats().queued, 100);
  assert.equal(await lynex.flush(5000), true);
  assert.deepEqual(gateway.accepted().map((e) => e.body.message), [...Array(100).keys()].map((i) => `m${i + 50}`));
  await lynex.shutdown();
});

test("a dead gateway never throws, never rejects, never blocks the caller", async (t) => {
  t.mock.method(console, "warn", () => {});
  const lynex = new Lynex({ apiKey: "k", endpoint: await deadUrl(), flushAt: 1, maxQueueSize: 1000, backoffBaseMs: 20, flushOnExit: false });
  const started = performance.now();
  for (let i = 0; i < 5000; i++) {
    lynex.captureLLMCall({ model: "m", prompt: "p", response: "r", tokens: { input: i, output: 1 } });
    lynex.log("info", "x");
    lynex.captureError(new Error("boom"));
  }
  assert.ok(performance.now() - started < 2000);
  assert.equal(await lynex.flush(300), false);
  const stats = lynex.stats();
  assert.equal(stats.sent, 0);
  assert.ok(stats.dropped > 0);
  assert.equal(await lynex.shutdown(300), false);
});

test("a hanging gateway delays shutdown by at most the timeout", async (t) => {
  t.mock.method(console, "warn", () => {});
  const sockets = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const lynex = new Lynex({ apiKey: "k", endpoint: `http://127.0.0.1:${silent.address().port}`, flushAt: 1, requestTimeoutMs: 30_000, flushOnExit: false });
    lynex.log("info", "x");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    assert.equal(await lynex.shutdown(500), false);
    assert.ok(performance.now() - started < 1500);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test("without an apiKey the client is a silent no-op", async (t) => {
  t.mock.method(console, "warn", () => {});
  gateway.requests.splice(0);
  const lynex = new Lynex({ endpoint: gateway.url, flushOnExit: false });
  lynex.captureLLMCall({ model: "m" });
  assert.equal(await lynex.flush(100), true);
  assert.equal(await lynex.shutdown(), true);
  assert.equal(gateway.requests.length, 0);
});

test("hostile input never throws and still yields valid events", async () => {
  gateway.requests.splice(0);
  const lynex = new Lynex({ apiKey: "k", endpoint: gateway.url, flushAt: 1000, flushOnExit: false });
  const cyclic = {};
  cyclic.self = cyclic;
  lynex.captureLLMCall({
    model: "x".repeat(1000),
    prompt: [{ role: "", content: { a: 1 } }, "plain", { content: [1, 2] }, 42],
    response: { role: "assistant", content: "ok", tool_calls: [{ id: 1 }] },
    tokens: { input: -5, output: "many", cached: 1e20 },
    latencyMs: NaN,
    costUsd: -1,
    params: { temperature: Infinity, big: 10n, cycle: cyclic },
    status: "weird",
    context: { userId: 42, tags: { a: "b".repeat(1000) }, anything: [1, 2] },
  });
  lynex.captureLLMCall({ model: "", error: new TypeError("slow") });
  lynex.captureLLMCall(null);
  lynex.captureLLMCall({ model: "m", timestamp: "not a time" });
  lynex.log(12345, { toString: () => "obj" }, { big: 1n });
  lynex.log("WARN", "upper");
  lynex.captureError("just a message", { errorType: "" });
  lynex.captureError(Object.create(null));
  assert.equal(await lynex.flush(5000), true);
  const [request] = gateway.requests;
  assert.equal(request.status, 202);
  validate(request.body);
  const events = request.body.events;
  assert.equal(events.length, 8);
  assert.equal(events[0].body.model.length, 256);
  assert.deepEqual(events[0].body.tokens, { input: 0, output: 0, cached: 1_000_000_000_000 });
  assert.equal(events[0].body.latencyMs, undefined);
  assert.equal(events[0].body.status, "ok");
  assert.deepEqual(events[1].body.error, { type: "TypeError", message: "slow" });
  assert.equal(events[1].body.status, "error");
  assert.equal(events[4].body.level, "info");
  assert.equal(events[5].body.level, "warn");
  await lynex.shutdown();
});
