// Test doubles for the JS SDK tests: a scriptable local gateway that records what the SDK sends,
// and the contract's JSON Schema (contracts/schema/event.v1.json) compiled with ajv (draft 2020-12).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { gunzipSync } from "node:zlib";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const SCHEMA_URL = new URL("../../../contracts/schema/event.v1.json", import.meta.url);

function compileSchema() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, "utf8")));
}

export function schemaValidator() {
  const validate = compileSchema();
  return (body) => {
    if (!validate(body)) {
      throw new Error(`payload invalid against event.v1.json:\n${JSON.stringify(validate.errors.slice(0, 5), null, 1)}`);
    }
  };
}

/** The gateway's answer to a batch: 202, or 422 naming each invalid event (index and JSON path) in
 * the body shape of gateway/errors.py (`InvalidEvents`), as contracts/codec.py builds it. */
function contractReply() {
  const validate = compileSchema();
  return (body) => {
    const errors = [];
    (body.events ?? []).forEach((event, index) => {
      if (validate(event)) return;
      // anyOf reports every event type's complaint: the deepest one is about the field at fault.
      const first = validate.errors.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
      const path = `$.events[${index}]${first.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")}`;
      errors.push({ path, message: first.message, index });
    });
    if (errors.length === 0) return { status: 202 };
    const message = `${errors.length} invalid event(s); nothing was accepted`;
    return { status: 422, body: JSON.stringify({ error: "invalid_events", message, errors }) };
  };
}

/** A local endpoint answering POST /api/v1/events with scripted replies in order, then 202; with
 * `validateEvents`, 202 only for a batch valid against the contract, else the gateway's 422. */
export async function startGateway({ validateEvents = false } = {}) {
  const byContract = validateEvents ? contractReply() : undefined;
  const requests = [];
  const script = [];
  const listeners = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      const body = JSON.parse(text);
      const reply = script.shift() ?? byContract?.(body) ?? { status: 202 };
      requests.push({ headers: req.headers, raw, text, body, status: reply.status, at: Date.now() });
      for (const listener of listeners) listener();
      res.writeHead(reply.status, { "Content-Type": "application/json", ...(reply.headers ?? {}) });
      res.end(reply.body ?? (reply.status < 300 ? '{"status":"queued"}' : '{"error":"scripted"}'));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const accepted = () => requests.filter((r) => r.status < 300).flatMap((r) => r.body.events);
  return {
    url,
    requests,
    script: (...replies) => script.push(...replies),
    accepted,
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve) => {
        const check = () => {
          if (requests.length >= count) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(requests);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          resolve(requests);
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A URL where nothing listens (the port was free a moment ago). */
export async function deadUrl() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
