// The package as a user gets it: ESM and CommonJS entry points by name, and type declarations that
// compile for both kinds of consumer.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

test("import and require by package name give the same API", async () => {
  const esm = await import("lynex");
  const cjs = createRequire(import.meta.url)("lynex");
  for (const api of [esm, cjs]) {
    assert.equal(typeof api.Lynex, "function");
    assert.equal(api.VERSION, pkg.version, "sdk.version in events equals the package version");
    const client = new api.Lynex({ apiKey: "k", endpoint: "http://127.0.0.1:9", flushOnExit: false });
    for (const method of ["captureLLMCall", "captureError", "log", "flush", "shutdown", "stats"]) {
      assert.equal(typeof client[method], "function", method);
    }
    await client.shutdown(0);
  }
});

test("the type declarations compile for ESM and CommonJS consumers", async () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const project = fileURLToPath(new URL("./types/tsconfig.json", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [tsc, "-p", project]).catch((error) => {
    assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
  });
  assert.equal(stdout, "");
});
