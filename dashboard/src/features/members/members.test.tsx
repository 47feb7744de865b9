/** The Members section of the settings page, as owners and members meet it, over a mocked API that keeps its members. */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockApi, type Call } from "../../test/api-mock";
import { key, me, project } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import type { Member, MemberRole } from "../../types/api";
import { UNKNOWN_EMAIL } from "./member-form";

const membersPath = "/api/v1/projects/prj_1/members";
const LAST_OWNER = "a project needs at least one owner: make someone else an owner first";
const accounts: Record<string, string> = { "dev@example.com": "u1", "ana@example.com": "u2", "bo@example.com": "u3" };
const dev: Member = { id: "u1", email: "dev@example.com", role: "owner", since: "2025-01-01T00:00:00Z" };
const bo: Member = { id: "u3", email: "bo@example.com", role: "member", since: "2025-01-05T09:30:00Z" };

/**
 * prj_1's members as the server keeps them: listed owners first then by join time, re-adding changes the
 * role (and `since`), a change leaving no owner is a 409; `/auth/me` and `/projects` follow dev's membership.
 */
function fakeServer(initial: Member[], routes: Record<string, (call: Call) => unknown> = {}) {
  let members = [...initial];
  let clock = Date.parse("2025-02-01T12:00:00Z");
  const ownerLeft = (next: Member[]) => (next.some((m) => m.role === "owner") ? null : json(409, { error: "conflict", message: LAST_OWNER }));
  const myProjects = () => {
    const mine = members.find((m) => m.id === dev.id);
    return [...(mine ? [{ ...project, role: mine.role }] : []), me.projects[1]!];
  };
  const remove = (id: string) => () => {
    if (!members.some((m) => m.id === id)) return json(404, { error: "not_found", message: "no such member" });
    const next = members.filter((m) => m.id !== id);
    const refused = ownerLeft(next);
    if (refused) return refused;
    members = next;
    return new Response(null, { status: 204 });
  };
  const api = mockApi({
    "GET /api/v1/auth/me": () => ({ user: me.user, projects: myProjects() }),
    "GET /api/v1/projects": () => ({ projects: myProjects() }),
    "GET /api/v1/projects/prj_1/keys": () => ({ keys: [key()] }),
    "GET /api/v1/projects/prj_2/keys": () => ({ keys: [key()] }),
    "GET /api/v1/projects/prj_2/members": () => ({ members: [{ ...dev, id: "u9", email: "boss@example.com" }, { ...dev, role: "member" }] }),
    [`GET ${membersPath}`]: () => ({
      members: [...members].sort((a, b) => Number(a.role !== "owner") - Number(b.role !== "owner") || a.since.localeCompare(b.since)),
    }),
    [`POST ${membersPath}`]: ({ body }) => {
      const { email, role = "member" } = body as { email: string; role?: MemberRole };
      const id = accounts[email.trim().toLowerCase()];
      if (!id) return json(404, { error: "not_found", message: "no account with this email" });
      clock += 60_000;
      const next = [...members.filter((m) => m.id !== id), { id, email: email.trim().toLowerCase(), role, since: new Date(clock).toISOString() }];
      const refused = ownerLeft(next);
      if (refused) return refused;
      members = next;
      return json(201, { id, email: email.trim().toLowerCase() });
    },
    ...Object.fromEntries(Object.values(accounts).map((id) => [`DELETE ${membersPath}/${id}`, remove(id)])),
    ...routes,
  });
  return { api, members: () => members };
}

async function membersPanel() {
  const panel = await screen.findByRole("region", { name: /^Members/ });
  await within(panel).findByRole("table");
  return panel;
}

function memberRow(panel: HTMLElement, email: string) {
  return within(panel).getByRole("row", { name: new RegExp(email) });
}

function gets(api: ReturnType<typeof mockApi>, path: string) {
  return api.callsTo("GET", path).length;
}

describe("members", () => {
  it("lists the project's members from the server: role, since, and which row is you", async () => {
    fakeServer([dev, bo]);
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const rows = within(panel).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-member-email"))).toEqual(["dev@example.com", "bo@example.com"]);
    expect(rows[0]).toHaveTextContent("dev@example.com you");
    expect(rows[0]).toHaveTextContent("Owner");
    expect(rows[0]).toHaveTextContent("2025-01-01 00:00");
    expect(within(rows[1]!).getByLabelText("Role of bo@example.com")).toHaveValue("member");
    expect(within(rows[1]!).getByText("2025-01-05 09:30")).toHaveAttribute("title", "2025-01-05 09:30:00.000");
    expect(within(panel).queryByText(/this tab|since the page was loaded/)).toBeNull();
  });

  it("an owner adds a member by email, changes their role, and removes them after confirming; the list is refetched each time", async () => {
    const { api, members } = fakeServer([dev]);
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    expect(gets(api, membersPath)).toBe(1);
    expect(within(panel).getByText(/You are the only owner/)).toBeInTheDocument();

    await userEvent.type(within(panel).getByLabelText("Email"), " Ana@Example.com ");
    await userEvent.click(within(panel).getByRole("button", { name: "Add member" }));
    expect(await within(panel).findByRole("status")).toHaveTextContent("ana@example.com is now a member of Shop.");
    expect(api.callsTo("POST", membersPath)[0]!.body).toEqual({ email: "Ana@Example.com", role: "member" });
    expect(within(panel).getByLabelText("Email")).toHaveValue("");
    expect(gets(api, membersPath)).toBe(2);
    const row = memberRow(panel, "ana@example.com");
    expect(within(row).getByLabelText("Role of ana@example.com")).toHaveValue("member");
    expect(row).toHaveTextContent("2025-02-01 12:01");

    await userEvent.selectOptions(within(row).getByLabelText("Role of ana@example.com"), "owner");
    await waitFor(() => expect(gets(api, membersPath)).toBe(3));
    expect(within(memberRow(panel, "ana@example.com")).getByLabelText("Role of ana@example.com")).toHaveValue("owner");
    expect(api.callsTo("POST", membersPath)[1]!.body).toEqual({ email: "ana@example.com", role: "owner" });
    expect(within(panel).queryByText(/You are the only owner/)).toBeNull();

    await userEvent.click(within(memberRow(panel, "ana@example.com")).getByRole("button", { name: "Remove" }));
    expect(within(panel).getByText("Remove ana@example.com from Shop? They lose access at once.")).toBeInTheDocument();
    expect(api.callsTo("DELETE", `${membersPath}/u2`)).toHaveLength(0);
    await userEvent.click(within(panel).getByRole("button", { name: "Remove member" }));
    await waitFor(() => expect(within(panel).queryByRole("row", { name: /ana@example.com/ })).toBeNull());
    expect(api.callsTo("DELETE", `${membersPath}/u2`)).toHaveLength(1);
    expect(members().map((m) => m.email)).toEqual(["dev@example.com"]);
    // Changes to others do not refetch who you are.
    expect(gets(api, "/api/v1/auth/me")).toBe(1);
  });

  it("shows the server's refusals on the field they concern, and the rest above the list", async () => {
    const answers = [
      json(404, { error: "not_found", message: "no account with this email" }),
      json(422, { error: "invalid_parameter", message: "$.role: Invalid enum value 'owner'", parameter: "$.role" }),
      json(403, { error: "forbidden", message: "only the project's owner may do this" }),
    ];
    const { api } = fakeServer([dev], { [`POST ${membersPath}`]: () => answers.shift() });
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const email = within(panel).getByLabelText("Email");
    const add = within(panel).getByRole("button", { name: "Add member" });
    expect(add).toBeDisabled();

    await userEvent.type(email, "nobody@example.com");
    await userEvent.click(add);
    expect(await within(panel).findByText(UNKNOWN_EMAIL)).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription(UNKNOWN_EMAIL);
    await userEvent.clear(email);
    expect(within(panel).queryByText(UNKNOWN_EMAIL)).toBeNull();
    expect(email).not.toHaveAttribute("aria-invalid");

    await userEvent.type(email, "ana@example.com");
    await userEvent.selectOptions(within(panel).getByLabelText("Role"), "owner");
    await userEvent.click(add);
    const role = within(panel).getByLabelText("Role");
    await waitFor(() => expect(role).toHaveAccessibleDescription("Invalid enum value 'owner'"));
    expect(email).not.toHaveAttribute("aria-invalid");

    await userEvent.click(add);
    expect(await within(panel).findByRole("alert")).toHaveTextContent("only the project's owner may do this");
    expect(within(panel).queryByRole("row", { name: /ana@example.com/ })).toBeNull();
    expect(api.callsTo("POST", membersPath)).toHaveLength(3);
  });

  it("the only owner cannot leave or step down: the server's 409 is shown and nothing changes", async () => {
    const { api, members } = fakeServer([dev, bo]);
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const you = memberRow(panel, "dev@example.com");

    await userEvent.click(within(you).getByRole("button", { name: "Leave" }));
    expect(within(panel).getByText("Leave Shop? You lose access at once.")).toBeInTheDocument();
    await userEvent.click(within(panel).getByRole("button", { name: "Leave project" }));
    expect(await within(panel).findByRole("alert")).toHaveTextContent(LAST_OWNER);
    expect(api.callsTo("DELETE", `${membersPath}/u1`)).toHaveLength(1);

    await userEvent.click(within(memberRow(panel, "dev@example.com")).getByRole("button", { name: "Step down" }));
    await userEvent.click(within(panel).getByRole("button", { name: "Become a member" }));
    await waitFor(() => expect(api.callsTo("POST", membersPath)).toHaveLength(1));
    expect(await within(panel).findByRole("alert")).toHaveTextContent(LAST_OWNER);
    expect(api.callsTo("POST", membersPath)[0]!.body).toEqual({ email: "dev@example.com", role: "member" });

    // Adding your own email as a member is the same change, refused the same way.
    await userEvent.type(within(panel).getByLabelText("Email"), "dev@example.com");
    await userEvent.click(within(panel).getByRole("button", { name: "Add member" }));
    const form = within(panel).getByRole("form", { name: "Add a member" });
    expect(await within(form).findByRole("alert")).toHaveTextContent(LAST_OWNER);
    expect(within(panel).getByLabelText("Email")).not.toHaveAttribute("aria-invalid");

    expect(members()).toEqual([dev, bo]);
    expect(memberRow(panel, "dev@example.com")).toHaveTextContent("Owner");
    expect(gets(api, "/api/v1/auth/me")).toBe(1);
  });

  it("an owner steps down once someone else is an owner: their role and controls follow", async () => {
    const { api } = fakeServer([dev, { ...bo, role: "owner" }]);
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    await userEvent.click(within(memberRow(panel, "dev@example.com")).getByRole("button", { name: "Step down" }));
    await userEvent.click(within(panel).getByRole("button", { name: "Become a member" }));
    expect(await within(panel).findByText("Only the project's owners can add or remove members.")).toBeInTheDocument();
    expect(gets(api, "/api/v1/auth/me")).toBe(2);
    expect(memberRow(panel, "dev@example.com")).toHaveTextContent("Member");
    expect(within(panel).queryByRole("button")).toBeNull();
    expect(within(panel).queryByRole("combobox")).toBeNull();
  });

  it("an owner leaves once someone else is an owner, and lands on a project they still have", async () => {
    const { api, members } = fakeServer([dev, { ...bo, role: "owner" }]);
    const { router } = renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    await userEvent.click(within(memberRow(panel, "dev@example.com")).getByRole("button", { name: "Leave" }));
    await userEvent.click(within(panel).getByRole("button", { name: "Leave project" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/projects/prj_2/overview"));
    expect(members().map((m) => m.email)).toEqual(["bo@example.com"]);
    expect(gets(api, "/api/v1/auth/me")).toBe(2);
    // The list is not refetched after leaving: the server would refuse it (403).
    expect(gets(api, membersPath)).toBe(1);
    expect(screen.queryByText("Project not found")).toBeNull();
  });

  it("a member removed by another owner meanwhile: the 404 is shown and the refetched list drops them", async () => {
    const { api } = fakeServer([dev, bo]);
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const row = memberRow(panel, "bo@example.com");
    await userEvent.click(within(row).getByRole("button", { name: "Remove" }));
    await api.fetchMock(`${membersPath}/u3`, { method: "DELETE" }); // the other owner
    await userEvent.click(within(panel).getByRole("button", { name: "Remove member" }));
    expect(await within(panel).findByRole("alert")).toHaveTextContent("no such member");
    await waitFor(() => expect(within(panel).queryByRole("row", { name: /bo@example.com/ })).toBeNull());
  });

  it("a member sees everyone's role and since, but no way to add, change or remove", async () => {
    const { api } = fakeServer([dev]);
    renderApp("/projects/prj_2/settings");
    const panel = await membersPanel();
    expect(within(panel).getByText("Only the project's owners can add or remove members.")).toBeInTheDocument();
    expect(within(panel).queryByRole("form", { name: "Add a member" })).toBeNull();
    expect(within(panel).queryByRole("button")).toBeNull();
    expect(within(panel).queryByRole("combobox")).toBeNull();
    expect(memberRow(panel, "boss@example.com")).toHaveTextContent("Owner");
    expect(memberRow(panel, "dev@example.com")).toHaveTextContent("dev@example.com you");
    expect(memberRow(panel, "dev@example.com")).toHaveTextContent("Member");
    expect(gets(api, "/api/v1/projects/prj_2/members")).toBe(1);
  });

  it("a list the server refuses shows its error with a retry", async () => {
    fakeServer([dev], { [`GET ${membersPath}`]: () => json(503, { error: "unavailable", message: "database unavailable" }) });
    renderApp("/projects/prj_1/settings");
    const panel = await screen.findByRole("region", { name: /^Members/ });
    expect(await within(panel).findByRole("alert")).toHaveTextContent("database unavailable");
    expect(within(panel).getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });
});
