// Every kind of event the JS SDK sends is valid against contracts/schema/event.v1.json (ajv, 2020-12).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Lynex, VERSION } from "../dist/esm/index.js";
import { schemaValidator, startGateway } from "./helpers.mjs";

const validate = schemaValidator();
let gateway;
before(async () => {
  gateway = await startGateway();
});
after(async () => {
  await gateway.close();
});

test("llm_call, log and error events match the schema", async () => {
  const lynex = new Lynex({
    apiKey: "k",
    endpoint: gateway.url,
    projectId: "demo",
    environment: "production",
    release: "2026.11.1",
    context: { tags: { team: "search" } },
    flushAt: 1000,
    flushOnExit: false,
  });
  lynex.captureLLMCall({
    model: "gpt-4o",
    provider: "openai",
    prompt: [
      { role: "system", content: "Be terse." },
      { role: "user", content: "Hi" },
    ],
    response: { role: "assistant", content: "Hello." },
    tokens: { input: 21, output: 2, cached: 3, reasoning: 1 },
    latencyMs: 412.5,
    params: { temperature: 0.2 },
    costUsd: 0.0012,
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    context: { userId: "u-42", sessionId: "s-9", tags: { feature: "chat" } },
    timestamp: new Date("2026-11-24T12:00:00Z"),
  });
  lynex.captureLLMCall({ model: "gpt-4o", prompt: "plain", response: "text", error: new Error("bad") });
  lynex.log("warning", "slow", { ms: 900 });
  lynex.captureError(new RangeError("boom"), { handled: false });
  lynex.captureError("a message");
  assert.equal(await lynex.flush(5000), true);
  const [request] = gateway.requests;
  validate(request.body);
  const events = request.body.events;
  assert.deepEqual(events.map((e) => e.type), ["llm_call", "llm_call", "log", "error", "error"]);
  for (const e of events) {
    assert.match(e.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(e.sdk, { name: "lynex-js", version: VERSION });
    assert.equal(e.projectId, "demo");
  }
  assert.equal(new Set(events.map((e) => e.eventId)).size, 5);
  assert.equal(events[0].timestamp, "2026-11-24T12:00:00.000Z");
  assert.deepEqual(events[0].context, {
    env: "production",
    release: "2026.11.1",
    userId: "u-42",
    sessionId: "s-9",
    tags: { team: "search", feature: "chat" },
  });
  assert.equal(events[3].body.errorType, "RangeError");
  assert.equal(events[3].body.handled, false);
  assert.match(events[3].body.stack, /RangeError: boom/);
  await lynex.shutdown();
});

test("large events are split into requests within the gateway limits", async () => {
  gateway.requests.splice(0);
  const lynex = new Lynex({ apiKey: "k", endpoint: gateway.url, flushAt: 10_000, maxBatchSize: 1000, flushOnExit: false });
  const big = "x".repeat(20_000);
  for (let i = 0; i < 600; i++) lynex.captureLLMCall({ model: "m", prompt: big });
  assert.equal(await lynex.flush(20_000), true);
  assert.equal(gateway.accepted().length, 600);
  for (const r of gateway.requests) {
    assert.ok(Buffer.byteLength(r.text) <= 5 * 1024 * 1024);
    assert.ok(r.body.events.length <= 1000);
  }
  assert.ok(gateway.requests.length >= 3);
  validate(gateway.requests[0].body);
  await lynex.shutdown();
});
