/** Members of the current project: owners add people by email, change their role and remove them. */
import { useState, type FormEvent } from "react";
import { ConfirmButton } from "../../components/ui/ConfirmButton";
import { Button } from "../../components/ui/Button";
import { SelectField, TextField, controlClass } from "../../components/ui/fields";
import { Panel } from "../../components/ui/Panel";
import { FormError } from "../../components/ui/States";
import { MEMBER_ROLES, type Member, type MemberRole, type Project } from "../../types/api";
import { useMe } from "../auth/api";
import { useAddMember, useKnownMembers, useRemoveMember } from "../members/api";
import { checkMemberEmail, memberFieldErrors } from "../members/member-form";

const ROLE_LABEL: Record<MemberRole, string> = { member: "Member", owner: "Owner" };

function roleLabel(role: string): string {
  return role in ROLE_LABEL ? ROLE_LABEL[role as MemberRole] : role;
}

function AddMemberForm({ project, ownEmail }: { project: Project; ownEmail: string | undefined }) {
  const add = useAddMember(project.id);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<MemberRole>("member");
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<Member | null>(null);
  const server = memberFieldErrors(add.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    const found = checkMemberEmail(email, ownEmail);
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

export function MembersSection({ project }: { project: Project }) {
  const me = useMe();
  const known = useKnownMembers(project.id);
  const changeRole = useAddMember(project.id);
  const remove = useRemoveMember(project.id);
  const owner = project.role === "owner";
  const user = me.data?.user;
  const others = known.filter((m) => m.id !== user?.id);

  return (
    <Panel title="Members" hint={project.name}>
      {owner ? (
        <AddMemberForm project={project} ownEmail={user?.email} />
      ) : (
        <p className="mb-3 text-sm text-muted">Only the project's owners can add or remove members.</p>
      )}
      <FormError error={changeRole.error ?? remove.error} />
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="sr-only">Members of {project.name}</caption>
          <thead className="text-left text-xs text-muted">
            <tr className="border-b border-line">
              <th scope="col" className="py-1.5 pr-3 font-medium">Email</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Role</th>
              <th scope="col" className="py-1.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {user && (
              <tr className="border-b border-line/60 last:border-0" data-member-email={user.email}>
                <th scope="row" className="py-1.5 pr-3 text-left font-normal">
                  {user.email} <span className="ml-1 rounded bg-accent/15 px-1.5 py-0.5 text-xs text-accent">you</span>
                </th>
                <td className="py-1.5 pr-3">{roleLabel(project.role)}</td>
                <td className="py-1.5" />
              </tr>
            )}
            {others.map((m) => (
              <tr key={m.id} className="border-b border-line/60 last:border-0" data-member-email={m.email}>
                <th scope="row" className="py-1.5 pr-3 text-left font-normal">{m.email}</th>
                <td className="py-1.5 pr-3">
                  {owner ? (
                    // The wrapper sets the width: the control class is w-full.
                    <div className="w-32">
                      <select
                        className={controlClass}
                        aria-label={`Role of ${m.email}`}
                        value={m.role}
                        disabled={changeRole.isPending}
                        onChange={(e) => changeRole.mutate({ email: m.email, role: e.target.value as MemberRole })}
                      >
                        {MEMBER_ROLES.map((r) => (
                          <option key={r} value={r}>
                            {ROLE_LABEL[r]}
                          </option>
                        ))}
                      </select>
                    </div>
                  ) : (
                    roleLabel(m.role)
                  )}
                </td>
                <td className="py-1.5 text-right">
                  {owner && (
                    <ConfirmButton
                      label="Remove"
                      confirmLabel="Remove member"
                      question={`Remove ${m.email} from ${project.name}? They lose access at once.`}
                      busy={remove.isPending && remove.variables === m.id}
                      onConfirm={() => remove.mutate(m.id)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mt-2 text-xs text-muted">
        Lynex cannot list a project's other members yet: this shows you and the people added or changed here since the page was loaded.
      </p>
    </Panel>
  );
}
