/** Settings: the user's projects and the current project's API keys. */
import { PageHeader } from "../../components/PageHeader";
import { useCurrentProject } from "../projects/current";
import { KeysSection } from "./KeysSection";
import { ProjectsSection } from "./ProjectsSection";

export function SettingsPage() {
  const project = useCurrentProject();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="flex flex-col gap-4">
        <KeysSection project={project} />
        <ProjectsSection current={project} />
      </div>
    </>
  );
}
