// Compiled by test/package.test.mjs: the published types work for a CommonJS consumer.
import lynexModule = require("lynex");

const lynex = new lynexModule.Lynex({ apiKey: "k" });
lynex.captureLLMCall({ model: "m", tokens: { input: 1, output: 1 } });
const ok: Promise<boolean> = lynex.shutdown();
void ok;
