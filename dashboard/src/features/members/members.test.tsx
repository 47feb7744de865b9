/** The Members section of the settings page, as owners and members meet it, over a mocked API. */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockApi } from "../../test/api-mock";
import { key, me, project } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { UNKNOWN_EMAIL } from "./member-form";

const membersPath = "/api/v1/projects/prj_1/members";
const ana = { id: "u2", email: "ana@example.com" };
const noContent = () => new Response(null, { status: 204 });

function settingsRoutes() {
  return {
    "GET /api/v1/auth/me": () => me,
    "GET /api/v1/projects": () => ({ projects: me.projects }),
    "GET /api/v1/projects/prj_1/keys": () => ({ keys: [key()] }),
    "GET /api/v1/projects/prj_2/keys": () => ({ keys: [key()] }),
  };
}

async function membersPanel() {
  return await screen.findByRole("region", { name: /^Members/ });
}

function memberRow(panel: HTMLElement, email: string) {
  return within(panel).getByRole("row", { name: new RegExp(email) });
}

describe("members", () => {
  it("an owner adds a member by email, changes their role, and removes them after confirming", async () => {
    const api = mockApi({
      ...settingsRoutes(),
      [`POST ${membersPath}`]: () => json(201, ana),
      [`DELETE ${membersPath}/u2`]: noContent,
    });
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const you = memberRow(panel, "dev@example.com");
    expect(you).toHaveTextContent("you");
    expect(you).toHaveTextContent("Owner");
    expect(within(you).queryByRole("button", { name: "Remove" })).toBeNull();

    await userEvent.type(within(panel).getByLabelText("Email"), " Ana@Example.com ");
    await userEvent.click(within(panel).getByRole("button", { name: "Add member" }));
    expect(await within(panel).findByRole("status")).toHaveTextContent("ana@example.com is now a member of Shop.");
    expect(api.callsTo("POST", membersPath)[0]!.body).toEqual({ email: "Ana@Example.com", role: "member" });
    expect(within(panel).getByLabelText("Email")).toHaveValue("");
    const row = memberRow(panel, "ana@example.com");
    expect(within(row).getByLabelText("Role of ana@example.com")).toHaveValue("member");

    await userEvent.selectOptions(within(row).getByLabelText("Role of ana@example.com"), "owner");
    await waitFor(() => expect(within(memberRow(panel, "ana@example.com")).getByLabelText("Role of ana@example.com")).toHaveValue("owner"));
    expect(api.callsTo("POST", membersPath)[1]!.body).toEqual({ email: "ana@example.com", role: "owner" });

    await userEvent.click(within(memberRow(panel, "ana@example.com")).getByRole("button", { name: "Remove" }));
    expect(within(panel).getByText("Remove ana@example.com from Shop? They lose access at once.")).toBeInTheDocument();
    expect(api.callsTo("DELETE", `${membersPath}/u2`)).toHaveLength(0);
    await userEvent.click(within(panel).getByRole("button", { name: "Remove member" }));
    await waitFor(() => expect(within(panel).queryByRole("row", { name: /ana@example.com/ })).toBeNull());
    expect(api.callsTo("DELETE", `${membersPath}/u2`)).toHaveLength(1);
  });

  it("shows the server's refusals on the field they concern, and the rest above the list", async () => {
    const answers = [
      json(404, { error: "not_found", message: "no account with this email" }),
      json(422, { error: "invalid_parameter", message: "$.role: Invalid enum value 'owner'", parameter: "$.role" }),
      json(403, { error: "forbidden", message: "only the project's owner may do this" }),
    ];
    const api = mockApi({ ...settingsRoutes(), [`POST ${membersPath}`]: () => answers.shift() ?? json(201, ana) });
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    const email = within(panel).getByLabelText("Email");
    const add = within(panel).getByRole("button", { name: "Add member" });
    expect(add).toBeDisabled();

    await userEvent.type(email, "DEV@example.com");
    await userEvent.click(add);
    expect(within(panel).getByText(/your own account/)).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(api.callsTo("POST", membersPath)).toHaveLength(0);

    await userEvent.clear(email);
    await userEvent.type(email, "nobody@example.com");
    expect(email).not.toHaveAttribute("aria-invalid");
    await userEvent.click(add);
    expect(await within(panel).findByText(UNKNOWN_EMAIL)).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription(UNKNOWN_EMAIL);
    await userEvent.type(email, "x");
    expect(within(panel).queryByText(UNKNOWN_EMAIL)).toBeNull();

    await userEvent.selectOptions(within(panel).getByLabelText("Role"), "owner");
    await userEvent.click(add);
    const role = within(panel).getByLabelText("Role");
    await waitFor(() => expect(role).toHaveAccessibleDescription("Invalid enum value 'owner'"));
    expect(email).not.toHaveAttribute("aria-invalid");

    await userEvent.click(add);
    expect(await within(panel).findByRole("alert")).toHaveTextContent("only the project's owner may do this");
    expect(within(panel).queryByRole("row", { name: /nobody/ })).toBeNull();
    expect(api.callsTo("POST", membersPath)).toHaveLength(3);
  });

  it("keeps the members it knows when the projects are refreshed, and drops one that is already gone", async () => {
    mockApi({
      ...settingsRoutes(),
      [`POST ${membersPath}`]: () => json(201, ana),
      [`DELETE ${membersPath}/u2`]: () => json(404, { error: "not_found", message: "no such member" }),
      "PATCH /api/v1/projects/prj_1": () => ({ ...project, name: "Store" }),
    });
    renderApp("/projects/prj_1/settings");
    const panel = await membersPanel();
    await userEvent.type(within(panel).getByLabelText("Email"), "ana@example.com");
    await userEvent.click(within(panel).getByRole("button", { name: "Add member" }));
    await within(panel).findByRole("row", { name: /ana@example.com/ });

    // A rename invalidates every ["projects", …] query; the known members are not refetched away.
    const projects = screen.getByRole("region", { name: "Projects" });
    await userEvent.click(within(projects).getAllByRole("button", { name: "Rename" })[0]!);
    await userEvent.clear(within(projects).getByLabelText("Project name"));
    await userEvent.type(within(projects).getByLabelText("Project name"), "Store{Enter}");
    await waitFor(() => expect(within(projects).queryByLabelText("Project name")).toBeNull());
    expect(memberRow(panel, "ana@example.com")).toBeInTheDocument();

    await userEvent.click(within(memberRow(panel, "ana@example.com")).getByRole("button", { name: "Remove" }));
    await userEvent.click(within(panel).getByRole("button", { name: "Remove member" }));
    expect(await within(panel).findByRole("alert")).toHaveTextContent("no such member");
    expect(within(panel).queryByRole("row", { name: /ana@example.com/ })).toBeNull();
  });

  it("a member sees their role but no way to add, change or remove", async () => {
    const api = mockApi(settingsRoutes());
    renderApp("/projects/prj_2/settings");
    const panel = await membersPanel();
    expect(within(panel).getByText("Only the project's owners can add or remove members.")).toBeInTheDocument();
    expect(within(panel).queryByRole("form", { name: "Add a member" })).toBeNull();
    expect(within(panel).queryByRole("button")).toBeNull();
    expect(memberRow(panel, "dev@example.com")).toHaveTextContent("Member");
    expect(api.calls.filter((c) => c.path.includes("/members"))).toHaveLength(0);
  });
});
