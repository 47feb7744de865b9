import { describe, expect, it } from "vitest";
import { contentToText, toMessages, viewBody } from "./event-body";

describe("viewBody for llm_call", () => {
  it("renders chat prompts and a message response readably; the rest stays JSON", () => {
    const view = viewBody("llm_call", {
      model: "gpt-4o",
      prompt: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Capital of France?" },
      ],
      response: { role: "assistant", content: "Paris." },
      tokens: { input: 21, output: 2 },
      params: { temperature: 0.2 },
    });
    expect(view.prompt).toEqual([
      { role: "system", text: "You are terse.", extra: null },
      { role: "user", text: "Capital of France?", extra: null },
    ]);
    expect(view.response).toEqual([{ role: "assistant", text: "Paris.", extra: null }]);
    expect(view.rest).toEqual({ model: "gpt-4o", tokens: { input: 21, output: 2 }, params: { temperature: 0.2 } });
  });

  it("treats plain strings as a user prompt and an assistant response", () => {
    const view = viewBody("llm_call", { model: "m", prompt: "Hi", response: "Hello!" });
    expect(view.prompt).toEqual([{ role: "user", text: "Hi", extra: null }]);
    expect(view.response).toEqual([{ role: "assistant", text: "Hello!", extra: null }]);
    expect(view.rest).toEqual({ model: "m" });
  });

  it("keeps tool calls and non-text parts next to the text", () => {
    const [msg] = toMessages(
      {
        role: "assistant",
        content: [{ type: "text", text: "Let me look." }, { type: "image_url", image_url: { url: "x" } }],
        tool_calls: [{ id: "c1", function: { name: "search" } }],
      },
      "assistant",
    )!;
    expect(msg!.text).toBe("Let me look.\n[image_url]");
    expect(msg!.extra).toEqual({ tool_calls: [{ id: "c1", function: { name: "search" } }], parts: [{ type: "image_url", image_url: { url: "x" } }] });
  });

  it("leaves an unrecognised prompt shape in the JSON", () => {
    const view = viewBody("llm_call", { model: "m", prompt: [{ foo: 1 }] });
    expect(view.prompt).toBeNull();
    expect(view.rest).toEqual({ model: "m", prompt: [{ foo: 1 }] });
  });

  it("shows an error's message", () => {
    const view = viewBody("llm_call", { model: "m", status: "error", error: { type: "RateLimitError", message: "slow down" } });
    expect(view.text).toEqual([{ label: "Error (RateLimitError)", value: "slow down" }]);
  });
});

describe("viewBody for other types", () => {
  it("shows a log's message as text", () => {
    const view = viewBody("log", { level: "warning", message: "retrying", attributes: { attempt: 2 } });
    expect(view.text).toEqual([{ label: "Message", value: "retrying" }]);
    expect(view.rest).toEqual({ level: "warning", attributes: { attempt: 2 } });
  });
  it("shows an error's message and stack", () => {
    const view = viewBody("error", { errorType: "ValueError", message: "empty", stack: "Traceback…" });
    expect(view.text.map((t) => t.label)).toEqual(["Message", "Stack"]);
    expect(view.rest).toEqual({ errorType: "ValueError" });
  });
  it("keeps a custom body as JSON", () => {
    expect(viewBody("custom", { a: 1 }).rest).toEqual({ a: 1 });
    expect(viewBody("custom", null).rest).toBeNull();
  });
});

describe("contentToText", () => {
  it("handles strings, parts and absent content", () => {
    expect(contentToText("x")).toBe("x");
    expect(contentToText(null)).toBe("");
    expect(contentToText([{ type: "text", text: "a" }, "b"])).toBe("a\nb");
  });
});
