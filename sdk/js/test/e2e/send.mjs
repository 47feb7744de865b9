// Driven by tests/sdk/test_js_e2e.py: send events with the built package to a running gateway.
// Usage: node send.mjs <gateway url> <api key> <run id>   (prints the client's stats as JSON)
import { Lynex } from "../../dist/esm/index.js";

const [url, apiKey, run] = process.argv.slice(2);
const lynex = new Lynex({ apiKey, endpoint: url, context: { tags: { run } }, flushAt: 1000 });
lynex.captureLLMCall({
  model: "gpt-4o-mini",
  provider: "openai",
  prompt: [{ role: "user", content: "What is 2 + 2?" }],
  response: { role: "assistant", content: "4" },
  tokens: { input: 12, output: 1 },
  latencyMs: 321.5,
});
lynex.captureError(new TypeError("e2e"), { handled: true });
for (let i = 0; i < 1500; i++) lynex.log("info", `js ${i}`);
const ok = await lynex.shutdown(30_000);
console.log(JSON.stringify({ ok, ...lynex.stats() }));
