// JS SDK and a 422: the events the gateway names invalid are dropped (counted, reported once) and the
// rest of the batch is sent again; a 422 that names nothing usable drops the batch as before.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Lynex } from "../dist/esm/index.js";
import { startGateway } from "./helpers.mjs";

// A timestamp in microseconds by mistake: year 55,000, which the contract (RFC 3339) refuses.
const MICROSECONDS = Date.now() * 1000;

let gateway;
const clients = [];
const client = (options) => {
  const c = new Lynex({ apiKey: "sk_test", endpoint: gateway.url, flushAt: 1000, backoffBaseMs: 10, flushOnExit: false, ...options });
  clients.push(c);
  return c;
};
before(async () => {
  gateway = await startGateway({ validateEvents: true });
});
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown(200)));
  await gateway.close();
});
const reset = () => gateway.requests.splice(0);
const messages = (request) => request.body.events.map((e) => e.body.message ?? e.body.model);
const invalid422 = (...indexes) => ({
  status: 422,
  body: JSON.stringify({
    error: "invalid_events",
    message: `${indexes.length} invalid event(s); nothing was accepted`,
    errors: indexes.map((index) => ({ path: `$.events[${index}].body`, message: "Expected `str`", index })),
  }),
});

test("a 422 naming one event drops only it; the rest are sent again with the same ids", async (t) => {
  reset();
  const warn = t.mock.method(console, "warn", () => {});
  const lynex = client();
  for (let round = 0; round < 2; round++) {
    lynex.log("info", "m0");
    lynex.captureLLMCall({ model: "bad", timestamp: MICROSECONDS });
    lynex.log("info", "m2");
    assert.equal(await lynex.flush(5000), true);
  }

  const [refused, resent] = gateway.requests;
  assert.equal(refused.status, 422);
  assert.equal(refused.headers["content-encoding"], "gzip");
  assert.deepEqual(messages(refused), ["m0", "bad", "m2"]);
  assert.equal(resent.status, 202);
  assert.deepEqual(messages(resent), ["m0", "m2"]);
  assert.deepEqual(
    resent.body.events.map((e) => e.eventId),
    [refused.body.events[0].eventId, refused.body.events[2].eventId],
    "the events keep their ids: a duplicate is deduplicated downstream",
  );
  assert.deepEqual(gateway.requests.map((r) => r.status), [422, 202, 422, 202]);
  const stats = lynex.stats();
  assert.deepEqual([stats.sent, stats.invalid, stats.rejected, stats.failed, stats.batches], [4, 2, 0, 0, 2]);
  assert.equal(warn.mock.callCount(), 1, "reported once");
  assert.match(String(warn.mock.calls[0].arguments[0]), /1 invalid event.*422.*\$\.events\[1\]\.timestamp/);
});

const unusable = {
  "only `$` (invalid JSON)": { status: 422, body: '{"error":"invalid_events","message":"invalid request","errors":[{"path":"$","message":"invalid JSON","index":null}]}' },
  "a body that is not JSON": { status: 422, body: "<html>bad request</html>" },
  "every event of the batch": invalid422(0, 1, 2),
  "a position the batch does not have": invalid422(1, 7),
};
for (const [name, reply] of Object.entries(unusable)) {
  test(`a 422 naming ${name} drops the whole batch, not sent again`, async (t) => {
    reset();
    const warn = t.mock.method(console, "warn", () => {});
    gateway.script(reply);
    const lynex = client();
    for (let i = 0; i < 3; i++) lynex.log("info", `m${i}`);
    assert.equal(await lynex.flush(5000), true);
    assert.deepEqual(gateway.requests.map((r) => r.status), [422]);
    const stats = lynex.stats();
    assert.deepEqual([stats.sent, stats.invalid, stats.rejected], [0, 0, 3]);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), /422/);
  });
}

test("the batch sent again is retried like any other, and a second 422 narrows it again", async (t) => {
  reset();
  t.mock.method(console, "warn", () => {});
  gateway.script(invalid422(1), { status: 503 }, invalid422(0), { status: 202 });
  const lynex = client();
  for (let i = 0; i < 4; i++) lynex.log("info", `m${i}`);
  assert.equal(await lynex.flush(5000), true);
  assert.deepEqual(
    gateway.requests.map((r) => [r.status, messages(r)]),
    [
      [422, ["m0", "m1", "m2", "m3"]],
      [503, ["m0", "m2", "m3"]],
      [422, ["m0", "m2", "m3"]],
      [202, ["m2", "m3"]],
    ],
  );
  assert.equal(gateway.requests[2].text, gateway.requests[1].text, "a retry is the same request");
  const stats = lynex.stats();
  assert.deepEqual([stats.sent, stats.invalid, stats.rejected, stats.retries], [2, 2, 0, 1]);
});

test("a page-hide keepalive batch refused with a 422 sends its valid events again", async (t) => {
  reset();
  t.mock.method(console, "warn", () => {});
  const lynex = client({ flushIntervalMs: 60_000 });
  lynex.log("info", "m0");
  lynex.captureError(new Error("bad"), { timestamp: MICROSECONDS });
  lynex.log("info", "m2");
  lynex.flushOnHide();
  assert.equal(lynex.stats().queued, 0);
  await gateway.waitForRequests(2);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the 202 reaches the client
  assert.deepEqual(gateway.requests.map((r) => [r.status, messages(r)]), [
    [422, ["m0", "bad", "m2"]],
    [202, ["m0", "m2"]],
  ]);
  assert.equal(gateway.requests[1].headers["content-encoding"], undefined, "keepalive: not gzipped");
  const stats = lynex.stats();
  assert.deepEqual([stats.sent, stats.invalid, stats.rejected], [2, 1, 0]);
});
