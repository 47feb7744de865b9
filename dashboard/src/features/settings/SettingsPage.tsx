/** Settings: the current project's API keys and members, and the user's projects. */
import { PageHeader } from "../../components/PageHeader";
import { useCurrentProject } from "../projects/current";
import { KeysSection } from "./KeysSection";
import { MembersSection } from "./MembersSection";
import { ProjectsSection } from "./ProjectsSection";

export function SettingsPage() {
  const project = useCurrentProject();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="flex flex-col gap-4">
        <KeysSection project={project} />
        <MembersSection project={project} />
        <ProjectsSection current={project} />
      </div>
    </>
  );
}
