/** Session auth: who is signed in (`/auth/me`), sign-up, login and logout. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, apiRequest } from "../../lib/api-client";
import type { Me, User } from "../../types/api";

export const ME_KEY = ["me"] as const;

/** The signed-in user and their projects, or null when there is no session (401). */
export async function fetchMe(signal?: AbortSignal): Promise<Me | null> {
  try {
    return await apiRequest<Me>("/api/v1/auth/me", { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: ({ signal }) => fetchMe(signal), staleTime: 30_000 });
}

export interface Credentials {
  email: string;
  password: string;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Credentials) => apiRequest<{ user: User }>("/api/v1/auth/login", { method: "POST", body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
}

export function useSignup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Credentials) => apiRequest<{ user: User }>("/api/v1/auth/signup", { method: "POST", body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiRequest<void>("/api/v1/auth/logout", { method: "POST" }),
    onSettled: () => {
      client.clear();
      client.setQueryData(ME_KEY, null);
    },
  });
}

/** The server's rule, checked before sending so the form can say so at once. */
export const MIN_PASSWORD_LENGTH = 10;

export function passwordProblem(password: string): string | null {
  return password.length < MIN_PASSWORD_LENGTH ? `Use at least ${MIN_PASSWORD_LENGTH} characters.` : null;
}
