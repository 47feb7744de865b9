// Driven by tests/sdk/test_js_e2e.py: one batch where one event is invalid (a timestamp given in
// microseconds, year ~55,000, which the contract refuses), sent to a running gateway.
// Usage: node send-invalid.mjs <gateway url> <api key> <run id>   (prints the client's stats as JSON)
import { Lynex } from "../../dist/esm/index.js";

const [url, apiKey, run] = process.argv.slice(2);
const lynex = new Lynex({ apiKey, endpoint: url, context: { tags: { run } }, flushAt: 1000 });
console.warn = () => {}; // the one warning about the refused event is expected; stdout is the result
lynex.log("info", "valid 0");
lynex.captureLLMCall({ model: "invalid", tokens: { input: 1, output: 1 }, timestamp: Date.now() * 1000 });
for (let i = 1; i < 5; i++) lynex.log("info", `valid ${i}`);
const ok = await lynex.shutdown(30_000);
console.log(JSON.stringify({ ok, ...lynex.stats() }));
