// JS SDK in real Node child processes: events queued when the program ends are flushed (beforeExit),
// bounded by shutdownTimeoutMs when the gateway is dead or hangs; the CommonJS build works too.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { deadUrl, startGateway } from "./helpers.mjs";

const ESM = new URL("../dist/esm/index.js", import.meta.url).href;
const CJS = fileURLToPath(new URL("../dist/cjs/index.js", import.meta.url));

// Asynchronous on purpose: the gateway double lives in this process and must keep answering.
function run(args, source) {
  const started = Date.now();
  const child = spawn(process.execPath, [...args, source], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on("close", (status) => resolve({ status, stdout, stderr, elapsed: Date.now() - started }));
  });
}

let gateway;
before(async () => {
  gateway = await startGateway();
});
after(async () => {
  await gateway.close();
});

test("ESM: events queued when the program ends are delivered", async () => {
  gateway.requests.splice(0);
  const result = await run(
    ["--input-type=module", "-e"],
    `import { Lynex } from ${JSON.stringify(ESM)};
     const lynex = new Lynex({ apiKey: "k", endpoint: ${JSON.stringify(gateway.url)}, flushAt: 1000, flushIntervalMs: 60000 });
     for (let i = 0; i < 25; i++) lynex.log("info", "m" + i);`,
  );
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(gateway.accepted().map((e) => e.body.message), [...Array(25).keys()].map((i) => `m${i}`));
});

test("CommonJS: require() works and events are delivered at exit", async () => {
  gateway.requests.splice(0);
  const result = await run(
    ["-e"],
    `const { Lynex } = require(${JSON.stringify(CJS)});
     new Lynex({ apiKey: "k", endpoint: ${JSON.stringify(gateway.url)} }).captureLLMCall({ model: "cjs", tokens: { input: 1, output: 2 } });`,
  );
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(gateway.accepted().map((e) => e.body.model), ["cjs"]);
});

test("an idle client does not keep the process alive", async () => {
  const result = await run(
    ["--input-type=module", "-e"],
    `import { Lynex } from ${JSON.stringify(ESM)};
     new Lynex({ apiKey: "k", endpoint: "http://127.0.0.1:9", flushIntervalMs: 60000 });`,
  );
  assert.equal(result.status, 0, result.stderr);
  assert.ok(result.elapsed < 3000, `${result.elapsed} ms`);
});

// A request in flight keeps Node's event loop alive (fetch's socket is referenced), so a hanging
// gateway can delay exit by requestTimeoutMs, then shutdownTimeoutMs for the exit flush.
for (const kind of ["dead", "hanging"]) {
  test(`a ${kind} gateway delays exit by at most requestTimeoutMs + shutdownTimeoutMs`, async () => {
    let url;
    let silent;
    const sockets = [];
    if (kind === "dead") url = await deadUrl();
    else {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${silent.address().port}`;
    }
    try {
      const result = await run(
        ["--input-type=module", "-e"],
        `import { Lynex } from ${JSON.stringify(ESM)};
         const lynex = new Lynex({ apiKey: "k", endpoint: ${JSON.stringify(url)}, shutdownTimeoutMs: 1000, requestTimeoutMs: 1500 });
         for (let i = 0; i < 100; i++) lynex.captureLLMCall({ model: "m" });
         console.log("done");`,
      );
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "done\n");
      assert.ok(result.elapsed < 1500 + 1000 + 2000, `exit took ${result.elapsed} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      if (silent) await new Promise((resolve) => silent.close(resolve));
    }
  });
}
