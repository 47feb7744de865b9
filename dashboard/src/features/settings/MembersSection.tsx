/**
 * Members of the current project, as the server lists them: owners add people by email, change roles and
 * remove them, and may step down or leave themselves while another owner remains (the server says 409 if not).
 */
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ConfirmButton } from "../../components/ui/ConfirmButton";
import { Button } from "../../components/ui/Button";
import { SelectField, TextField, controlClass } from "../../components/ui/fields";
import { Panel } from "../../components/ui/Panel";
import { ErrorState, FormError, LoadingState } from "../../components/ui/States";
import { formatDateTime, formatTimestamp } from "../../lib/format";
import { MEMBER_ROLES, type Member, type MemberRole, type Project } from "../../types/api";
import { useMe } from "../auth/api";
import { useAddMember, useMembers, useRemoveMember, type AddedMember } from "../members/api";
import { checkMemberEmail, memberFieldErrors } from "../members/member-form";

const ROLE_LABEL: Record<MemberRole, string> = { member: "Member", owner: "Owner" };

function roleLabel(role: string): string {
  return role in ROLE_LABEL ? ROLE_LABEL[role as MemberRole] : role;
}

/** `onSubmit` lets the section clear a refusal of an earlier action in the list. */
function AddMemberForm({ project, onSubmit }: { project: Project; onSubmit: () => void }) {
  const add = useAddMember(project.id);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<MemberRole>("member");
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<AddedMember | null>(null);
  const server = memberFieldErrors(add.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    onSubmit();
    const found = checkMemberEmail(email);
    setProblem(found);
    if (found) return add.reset();
    add.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (member) => {
          setAdded(member);
          setEmail("");
          setRole("member");
        },
      },
    );
  };
  const edited = () => {
    setProblem(null);
    setAdded(null);
    if (add.error) add.reset();
  };

  return (
    <form onSubmit={submit} className="mb-3 flex flex-col gap-2" aria-label="Add a member" noValidate>
      <div className="flex flex-wrap items-start gap-2">
        <div className="w-72">
          <TextField
            label="Email"
            type="email"
            name="memberEmail"
            autoComplete="off"
            placeholder="teammate@example.com"
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              edited();
            }}
            maxLength={320}
            error={problem ?? server.fields.email}
          />
        </div>
        <div className="w-32">
          <SelectField
            label="Role"
            name="memberRole"
            value={role}
            onChange={(e) => {
              setRole(e.target.value as MemberRole);
              edited();
            }}
            error={server.fields.role}
          >
            {MEMBER_ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </SelectField>
        </div>
        {/* Aligned with the controls, below their labels. */}
        <Button type="submit" variant="primary" className="mt-5" busy={add.isPending} disabled={!email.trim()}>
          Add member
        </Button>
      </div>
      <p className="text-xs text-muted">They need a Lynex account. Adding someone who is already a member changes their role.</p>
      <FormError error={server.other} />
      {added && (
        <p role="status" className="rounded border border-ok/50 bg-ok/10 px-3 py-2 text-sm text-ok">
          {added.email} is now {added.role === "owner" ? "an owner" : "a member"} of {project.name}.
        </p>
      )}
    </form>
  );
}

interface RowActions {
  owner: boolean;
  setRole: (member: Member, role: MemberRole) => void;
  remove: (member: Member) => void;
  /** The role a pending change is setting, for the row it concerns. */
  pendingRole: { email: string; role: MemberRole } | undefined;
  removing: string | undefined;
}

function MemberRow({ member: m, you, project, actions }: { member: Member; you: boolean; project: Project; actions: RowActions }) {
  const pending = actions.pendingRole?.email === m.email ? actions.pendingRole.role : undefined;
  let role;
  if (actions.owner && !you)
    role = (
      // The wrapper sets the width: the control class is w-full.
      <div className="w-32">
        <select
          className={controlClass}
          aria-label={`Role of ${m.email}`}
          value={pending ?? m.role}
          disabled={actions.pendingRole !== undefined}
          onChange={(e) => actions.setRole(m, e.target.value as MemberRole)}
        >
          {MEMBER_ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </select>
      </div>
    );
  else role = roleLabel(m.role);

  return (
    <tr className="border-b border-line/60 last:border-0" data-member-email={m.email}>
      <th scope="row" className="py-1.5 pr-3 text-left font-normal">
        {m.email}
        {you && (
          <>
            {" "}
            <span className="ml-1 rounded bg-accent/15 px-1.5 py-0.5 text-xs text-accent">you</span>
          </>
        )}
      </th>
      <td className="py-1.5 pr-3">{role}</td>
      <td className="py-1.5 pr-3 tabular-nums">
        <time dateTime={m.since} title={formatTimestamp(m.since)}>
          {formatDateTime(m.since)}
        </time>
      </td>
      <td className="py-1.5 text-right">
        {actions.owner && (
          <span className="inline-flex flex-wrap justify-end gap-2">
            {/* Your own role changes behind a confirm: once a member, you cannot undo it yourself. */}
            {you && m.role === "owner" && (
              <ConfirmButton
                label="Step down"
                confirmLabel="Become a member"
                question={`Step down to member of ${project.name}? Only owners can manage members.`}
                busy={pending === "member"}
                onConfirm={() => actions.setRole(m, "member")}
              />
            )}
            <ConfirmButton
              label={you ? "Leave" : "Remove"}
              confirmLabel={you ? "Leave project" : "Remove member"}
              question={you ? `Leave ${project.name}? You lose access at once.` : `Remove ${m.email} from ${project.name}? They lose access at once.`}
              busy={actions.removing === m.id}
              onConfirm={() => actions.remove(m)}
            />
          </span>
        )}
      </td>
    </tr>
  );
}

export function MembersSection({ project }: { project: Project }) {
  const me = useMe();
  const navigate = useNavigate();
  const members = useMembers(project.id);
  const changeRole = useAddMember(project.id);
  // Once you have left, this project's pages refuse you: go to the projects you still have.
  const remove = useRemoveMember(project.id, { onLeft: () => void navigate("/", { replace: true }) });
  const owner = project.role === "owner";
  const you = me.data?.user.id;
  const soleOwner = owner && members.data?.filter((m) => m.role === "owner").length === 1;

  // One refusal shown at a time: starting an action clears the other's.
  const actions: RowActions = {
    owner,
    setRole: (m, role) => {
      remove.reset();
      changeRole.mutate({ email: m.email, role });
    },
    remove: (m) => {
      changeRole.reset();
      remove.mutate(m.id);
    },
    pendingRole: changeRole.isPending ? changeRole.variables : undefined,
    removing: remove.isPending ? remove.variables : undefined,
  };

  let list;
  if (members.isPending) list = <LoadingState label="Loading members…" />;
  else if (members.error) list = <ErrorState error={members.error} onRetry={() => void members.refetch()} />;
  else
    list = (
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="sr-only">Members of {project.name}</caption>
          <thead className="text-left text-xs text-muted">
            <tr className="border-b border-line">
              <th scope="col" className="py-1.5 pr-3 font-medium">Email</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Role</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Since</th>
              <th scope="col" className="py-1.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <MemberRow key={m.id} member={m} you={m.id === you} project={project} actions={actions} />
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <Panel title="Members" hint={project.name}>
      {owner ? (
        <AddMemberForm
          project={project}
          onSubmit={() => {
            changeRole.reset();
            remove.reset();
          }}
        />
      ) : (
        <p className="mb-3 text-sm text-muted">Only the project's owners can add or remove members.</p>
      )}
      <FormError error={changeRole.error ?? remove.error} />
      {list}
      {soleOwner && <p className="mt-2 text-xs text-muted">You are the only owner. A project always keeps one: to step down or leave, make someone else an owner first.</p>}
    </Panel>
  );
}
