import { describe, expect, it } from "vitest";
import { KEY_PLACEHOLDER, buildSnippets, ingestUrl } from "./snippets";

describe("first-event snippets", () => {
  const origin = "http://127.0.0.1:8000/";
  const key = "sk_live_abc123";

  it("use the project's real key and endpoint", () => {
    const [python, javascript, curl] = buildSnippets({ origin, apiKey: key });
    expect(python!.code).toContain(`lynex.init(api_key="${key}", endpoint="http://127.0.0.1:8000")`);
    expect(javascript!.code).toContain('fetch("http://127.0.0.1:8000/api/v1/events"');
    expect(javascript!.code).toContain(`"X-API-Key": "${key}"`);
    expect(curl!.code).toContain(`-H 'X-API-Key: ${key}'`);
    expect(ingestUrl(origin)).toBe("http://127.0.0.1:8000/api/v1/events");
  });

  it("send a valid v1 llm_call event", () => {
    const curl = buildSnippets({ origin, apiKey: key })[2]!.code;
    const body = JSON.parse(/-d '(.*)'/.exec(curl)![1]!);
    expect(body).toMatchObject({ type: "llm_call", body: { model: "gpt-4o-mini", tokens: { input: 3, output: 2 } } });
  });

  it("show a placeholder without a key", () => {
    for (const s of buildSnippets({ origin, apiKey: null })) expect(s.code).toContain(KEY_PLACEHOLDER);
  });
});
