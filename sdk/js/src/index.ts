/**
 * Lynex SDK for Node (>= 18) and browsers.
 *
 *   import { Lynex } from "lynex";
 *   const lynex = new Lynex({ apiKey: "sk_live_...", endpoint: "https://lynex.example.com" });
 *   lynex.captureLLMCall({ model: "gpt-4o-mini", prompt: "Hi", response: "Hello!", tokens: { input: 3, output: 2 }, latencyMs: 210 });
 *   await lynex.shutdown();
 */

export { Lynex, type LynexStats } from "./client.js";
export type { CaptureErrorOptions, ChatMessage, LLMCall, LogLevel, TokenCounts } from "./events.js";
export type { LynexOptions } from "./options.js";
export { VERSION } from "./version.js";
