/**
 * A project's members: add by email (re-adding someone changes their role), remove. The server lets only
 * owners do either. It has no endpoint that lists a project's members, so the list kept here holds the
 * members this tab added or changed, filled from the server's answers; a reload forgets it.
 */
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, apiRequest } from "../../lib/api-client";
import type { Member, MemberRole, User } from "../../types/api";

export function membersKey(projectId: string) {
  return ["projects", projectId, "members"] as const;
}

function membersPath(projectId: string): string {
  return `/api/v1/projects/${encodeURIComponent(projectId)}/members`;
}

/** Members added or changed in this tab, oldest first. Nothing is fetched (there is no list endpoint). */
export function useKnownMembers(projectId: string): Member[] {
  const known = useQuery<Member[]>({
    queryKey: membersKey(projectId),
    // skipToken: an invalidation of ["projects"] must not refetch (and so wipe) this entry.
    queryFn: skipToken,
    initialData: [],
    staleTime: Infinity,
    gcTime: Infinity,
  });
  return known.data ?? [];
}

export interface MemberInput {
  email: string;
  role: MemberRole;
}

export function useAddMember(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ email, role }: MemberInput): Promise<Member> => {
      const user = await apiRequest<User>(membersPath(projectId), { method: "POST", body: { email, role } });
      return { id: user.id, email: user.email, role };
    },
    onSuccess: (member) =>
      client.setQueryData<Member[]>(membersKey(projectId), (known = []) =>
        known.some((m) => m.id === member.id) ? known.map((m) => (m.id === member.id ? member : m)) : [...known, member],
      ),
  });
}

export function useRemoveMember(projectId: string) {
  const client = useQueryClient();
  const forget = (userId: string) => client.setQueryData<Member[]>(membersKey(projectId), (known = []) => known.filter((m) => m.id !== userId));
  return useMutation({
    mutationFn: (userId: string) => apiRequest<void>(`${membersPath(projectId)}/${encodeURIComponent(userId)}`, { method: "DELETE" }),
    onSuccess: (_, userId) => forget(userId),
    // 404: already gone (another owner removed them): the error is shown, the row goes.
    onError: (error, userId) => {
      if (error instanceof ApiError && error.status === 404) forget(userId);
    },
  });
}
