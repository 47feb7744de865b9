/** The add-a-member form's checks before sending, and which field a refusal from the server is about. Pure. */
import { ApiError, describeError } from "../../lib/api-client";

export type MemberField = "email" | "role";
export type MemberFieldErrors = Partial<Record<MemberField, string>>;

export const UNKNOWN_EMAIL = "No Lynex account uses this email. They need to sign up first, then you can add them.";

/** A problem found before sending: an empty email. (Your own email is fine: it changes your role, and the server keeps an owner.) */
export function checkMemberEmail(email: string): string | null {
  return email.trim() ? null : "Enter the email of their Lynex account.";
}

/**
 * Splits a refusal of `POST …/members` into field errors and the rest. A 422 names its field in
 * `parameter` (`$.email`, `$.role`, or `body`); the endpoint's only 404 is an email with no account. A 409
 * (demoting the last owner) concerns the pair, not one field: the form shows it above.
 */
export function memberFieldErrors(error: unknown): { fields: MemberFieldErrors; other: unknown } {
  if (!(error instanceof ApiError)) return { fields: {}, other: error };
  if (error.status === 404) return { fields: { email: UNKNOWN_EMAIL }, other: null };
  if (error.status === 422 && error.parameter) {
    const field = error.parameter.replace(/^\$\./, "");
    if (field === "email" || field === "role") {
      // The message repeats the parameter ("$.role: Invalid enum value 'x'"): the field already says which.
      const message = describeError(error);
      const prefix = `${error.parameter}: `;
      return { fields: { [field]: message.startsWith(prefix) ? message.slice(prefix.length) : message }, other: null };
    }
  }
  return { fields: {}, other: error };
}
