import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/api-client";
import { UNKNOWN_EMAIL, checkMemberEmail, memberFieldErrors } from "./member-form";

describe("checkMemberEmail", () => {
  it("asks for an email, and leaves the rest to the server (your own email included)", () => {
    expect(checkMemberEmail("  ")).toMatch(/Enter the email/);
    expect(checkMemberEmail("ana@example.com")).toBeNull();
    expect(checkMemberEmail(" dev@example.com ")).toBeNull();
  });
});

describe("memberFieldErrors", () => {
  it("puts an unknown email (404) on the email field", () => {
    const error = new ApiError(404, "not_found", "no account with this email");
    expect(memberFieldErrors(error)).toEqual({ fields: { email: UNKNOWN_EMAIL }, other: null });
  });

  it("puts a 422 on the field the server names, without repeating the parameter", () => {
    const role = new ApiError(422, "invalid_parameter", "$.role: Invalid enum value 'admin'", null, "$.role");
    expect(memberFieldErrors(role)).toEqual({ fields: { role: "Invalid enum value 'admin'" }, other: null });
    const email = new ApiError(422, "invalid_parameter", "email: too long", null, "email");
    expect(memberFieldErrors(email)).toEqual({ fields: { email: "too long" }, other: null });
  });

  it("leaves everything else to the form: a 422 on the body, a 403, the last owner's 409, a network failure", () => {
    for (const error of [
      new ApiError(422, "invalid_parameter", "body: Object missing required field `email`", null, "body"),
      new ApiError(403, "forbidden", "only the project's owner may do this"),
      new ApiError(409, "conflict", "a project needs at least one owner: make someone else an owner first"),
      new ApiError(0, "network", "Cannot reach the Lynex server."),
      new Error("boom"),
    ]) {
      expect(memberFieldErrors(error)).toEqual({ fields: {}, other: error });
    }
    expect(memberFieldErrors(null)).toEqual({ fields: {}, other: null });
  });
});
