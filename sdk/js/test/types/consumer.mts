// Compiled by test/package.test.mjs: the published types work for an ESM consumer.
import { Lynex, type LLMCall, type LynexOptions, type LynexStats } from "lynex";

const options: LynexOptions = { apiKey: "k", projectId: "p", endpoint: "http://127.0.0.1:8000", flushAt: 5 };
const lynex = new Lynex(options);
const call: LLMCall = { model: "gpt-4o-mini", prompt: "hi", response: "yo", tokens: { input: 1, output: 2 }, latencyMs: 3 };
lynex.captureLLMCall(call);
lynex.captureError(new Error("x"), { handled: true });
lynex.log("info", "hello", { a: 1 });
const stats: LynexStats = lynex.stats();
const done: Promise<boolean> = lynex.flush(1000);
void done;
void stats.dropped;
void lynex.shutdown();
