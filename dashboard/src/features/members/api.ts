/**
 * A project's members: the list (any member may read it), add by email (re-adding someone changes their
 * role) and remove (owners only). The server refuses, with a 409, a change that would leave no owner.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { apiRequest } from "../../lib/api-client";
import type { Me, Member, MemberRole, User } from "../../types/api";
import { ME_KEY } from "../auth/api";
import { PROJECTS_KEY } from "../projects/api";

export function membersKey(projectId: string) {
  return ["projects", projectId, "members"] as const;
}

function membersPath(projectId: string): string {
  return `/api/v1/projects/${encodeURIComponent(projectId)}/members`;
}

/** Owners first, then by when they joined (the server's order). */
export function useMembers(projectId: string) {
  return useQuery({
    queryKey: membersKey(projectId),
    queryFn: ({ signal }) => apiRequest<{ members: Member[] }>(membersPath(projectId), { signal }).then((r) => r.members),
  });
}

function isSignedIn(client: QueryClient, userId: string): boolean {
  return client.getQueryData<Me | null>(ME_KEY)?.user.id === userId;
}

/**
 * Refetches what a change made stale: the list, unless the signed-in user just left (it would be a 403);
 * and after a change to the signed-in user's own membership, their projects and roles, which decide what
 * the dashboard lets them do. Resolves when the refetches are done, so a mutation stays pending until then.
 */
async function refreshAfter(client: QueryClient, projectId: string, change: { own: boolean; left: boolean }) {
  await Promise.all([
    change.left ? null : client.invalidateQueries({ queryKey: membersKey(projectId) }),
    // exact: a prefix match would refetch every query of the project, which refuse us after leaving.
    change.own ? client.invalidateQueries({ queryKey: PROJECTS_KEY, exact: true }) : null,
    change.own ? client.invalidateQueries({ queryKey: ME_KEY }) : null,
  ]);
}

export interface MemberInput {
  email: string;
  role: MemberRole;
}

export type AddedMember = User & { role: MemberRole };

/** Adds someone, or changes their role (yours too: the server refuses to demote the last owner). */
export function useAddMember(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ email, role }: MemberInput): Promise<AddedMember> => {
      const user = await apiRequest<User>(membersPath(projectId), { method: "POST", body: { email, role } });
      return { id: user.id, email: user.email, role };
    },
    // Refused too: the list may be out of date (another owner changed it), so it is refetched either way.
    onSettled: (added) => refreshAfter(client, projectId, { own: added !== undefined && isSignedIn(client, added.id), left: false }),
  });
}

/**
 * Removes a member; yourself too, unless you are the last owner (409). `onLeft` runs once you have left
 * and your projects are refetched: the project's pages refuse you from then on.
 */
export function useRemoveMember(projectId: string, { onLeft }: { onLeft?: () => void } = {}) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => apiRequest<void>(`${membersPath(projectId)}/${encodeURIComponent(userId)}`, { method: "DELETE" }),
    // A 404 (another owner removed them already) refetches the list like a success: the row goes.
    onSettled: async (_, error, userId) => {
      const left = !error && isSignedIn(client, userId);
      await refreshAfter(client, projectId, { own: left, left });
      if (left) onLeft?.();
    },
  });
}
