/** The first-event snippets, filled in with the project's real endpoint and key. Pure. */

export const KEY_PLACEHOLDER = "sk_live_YOUR_KEY";

export interface SnippetInput {
  /** The server's origin, e.g. "http://127.0.0.1:8000" (the gateway in the all-in-one mode). */
  origin: string;
  apiKey: string | null;
}

export interface Snippet {
  id: "python" | "javascript" | "curl";
  label: string;
  code: string;
}

/** Text for a double-quoted string in Python, JavaScript and JSON alike. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

export function ingestUrl(origin: string): string {
  return `${origin.replace(/\/+$/, "")}/api/v1/events`;
}

export function buildSnippets({ origin, apiKey }: SnippetInput): Snippet[] {
  const key = apiKey ?? KEY_PLACEHOLDER;
  const base = origin.replace(/\/+$/, "");
  const python = `# pip install -e sdk/python   (the SDK in the Lynex repository; import name: lynex)
import lynex

lynex.init(api_key=${quoted(key)}, endpoint=${quoted(base)})

lynex.capture_llm_call(
    model="gpt-4o-mini",
    prompt="Say hello",
    response="Hello!",
    tokens={"input": 3, "output": 2},
    latency_ms=210,
)
lynex.flush()  # the SDK batches in the background; flush before a short script exits
`;
  const javascript = `// Node 18+ (global fetch), no dependency. Keep the key on the server side.
const response = await fetch(${quoted(ingestUrl(base))}, {
  method: "POST",
  headers: { "Content-Type": "application/json", "X-API-Key": ${quoted(key)} },
  body: JSON.stringify({
    type: "llm_call",
    timestamp: new Date().toISOString(),
    body: {
      model: "gpt-4o-mini",
      prompt: [{ role: "user", content: "Say hello" }],
      response: { role: "assistant", content: "Hello!" },
      tokens: { input: 3, output: 2 },
      latencyMs: 210,
      status: "ok",
    },
  }),
});
console.log(response.status, await response.json()); // 202 { status: "queued", eventId: ... }
`;
  const body = JSON.stringify({ type: "llm_call", body: { model: "gpt-4o-mini", tokens: { input: 3, output: 2 }, latencyMs: 210 } });
  const curl = `curl -s -X POST ${ingestUrl(base)} \\
  -H 'Content-Type: application/json' \\
  -H 'X-API-Key: ${key}' \\
  -d '${body}'
`;
  return [
    { id: "python", label: "Python", code: python },
    { id: "javascript", label: "JavaScript", code: javascript },
    { id: "curl", label: "curl", code: curl },
  ];
}
