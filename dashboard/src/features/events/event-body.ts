/** Turns a stored event body into what the explorer shows: readable prompt/response, the rest as JSON. Pure. */

export interface Message {
  role: string;
  text: string;
  /** Tool calls, a name or non-text parts: shown as JSON under the text. */
  extra: Record<string, unknown> | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Message content as text: a string as is; content parts joined (text parts' text, others as a tag). */
export function contentToText(content: unknown): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (typeof part === "string") return part;
        if (isRecord(part)) {
          if (typeof part.text === "string") return part.text;
          if (typeof part.type === "string") return `[${part.type}]`;
        }
        return JSON.stringify(part);
      })
      .join("\n");
  }
  return JSON.stringify(content, null, 2);
}

function toMessage(value: unknown, defaultRole: string): Message | null {
  if (typeof value === "string") return { role: defaultRole, text: value, extra: null };
  if (!isRecord(value)) return null;
  if (!("content" in value) && !("role" in value) && !("tool_calls" in value) && !("toolCalls" in value)) return null;
  const { role, content, ...rest } = value;
  const nonText = Array.isArray(content) ? content.filter((p) => isRecord(p) && typeof p.text !== "string") : [];
  const extra: Record<string, unknown> = { ...rest };
  if (nonText.length > 0) extra.parts = nonText;
  return {
    role: typeof role === "string" ? role : defaultRole,
    text: contentToText(content),
    extra: Object.keys(extra).length > 0 ? extra : null,
  };
}

/** A prompt or response as messages; null when it is absent or not message-shaped (then it stays JSON). */
export function toMessages(value: unknown, defaultRole: string): Message[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    const messages = value.map((v) => toMessage(v, defaultRole));
    return messages.every((m): m is Message => m !== null) ? messages : null;
  }
  const one = toMessage(value, defaultRole);
  return one ? [one] : null;
}

export interface BodyView {
  prompt: Message[] | null;
  response: Message[] | null;
  /** A log's message or an error's message and stack: text worth reading as text. */
  text: { label: string; value: string }[];
  /** Everything else in the body, shown as JSON; null when nothing is left. */
  rest: Record<string, unknown> | null;
}

export function viewBody(type: string, body: unknown): BodyView {
  if (!isRecord(body)) return { prompt: null, response: null, text: [], rest: body === undefined || body === null ? null : { body } };
  const rest: Record<string, unknown> = { ...body };
  const view: BodyView = { prompt: null, response: null, text: [], rest: null };
  if (type === "llm_call") {
    view.prompt = toMessages(body.prompt, "user");
    view.response = toMessages(body.response, "assistant");
    if (view.prompt) delete rest.prompt;
    if (view.response) delete rest.response;
  }
  if (type === "log" && typeof body.message === "string") {
    view.text.push({ label: "Message", value: body.message });
    delete rest.message;
  }
  if (type === "error") {
    if (typeof body.message === "string") {
      view.text.push({ label: "Message", value: body.message });
      delete rest.message;
    }
    if (typeof body.stack === "string") {
      view.text.push({ label: "Stack", value: body.stack });
      delete rest.stack;
    }
  }
  if (type === "llm_call" && isRecord(body.error) && typeof body.error.message === "string") {
    view.text.push({ label: `Error${typeof body.error.type === "string" ? ` (${body.error.type})` : ""}`, value: body.error.message });
  }
  view.rest = Object.keys(rest).length > 0 ? rest : null;
  return view;
}
