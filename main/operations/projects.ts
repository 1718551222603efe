// Projects opened from the window: the host reads a folder of this machine as `hearth dev` does
// (main/project/project-session.ts) and calls the same operations, in-process, as the profile that opened it.
import type { ProjectStatus } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { ProjectError } from "../project/project-model.ts";
import type { ProjectCalls } from "../project/project-session.ts";
import { actingAs, type OperationContext, type OperationInput } from "./operation-context.ts";

/** The caller's own operations, run in-process with the caller's identity (nothing it could not call itself). */
function callsAs(c: OperationContext): ProjectCalls {
  const run = c.call;
  if (!run) throw new Error("INTERNAL_ERROR: openProject ran without a way to call operations");
  return {
    baseUrl: "",
    call: async (name, input) => (await run(name, input)) as never,
  };
}

function refused(err: unknown): unknown {
  if (err instanceof ProjectError) {
    const code = err.code === "API_EXISTS" ? "API_EXISTS" : "INVALID_INPUT";
    return new HearthError(code, err.message.replace(/^[A-Z_]+: /, ""), "dir");
  }
  return err;
}

export async function openProject(
  c: OperationContext,
  input: OperationInput<"openProject">,
): Promise<ProjectStatus> {
  // The host reads the folder: only the machine's owner names folders of this machine, never a remote profile.
  if (c.caller.kind !== "owner")
    throw new HearthError("FORBIDDEN", "only the machine's owner opens a project from this machine's files");
  const pid = actingAs(c);
  try {
    return await c.host.projects.openProject(
      pid,
      input.dir,
      {
        parameterOverrides: input.parameterOverrides,
        access: input.access,
        ...(input.stage !== undefined ? { stage: input.stage } : {}),
        ...(input.region !== undefined ? { region: input.region } : {}),
        ...(input.apiName !== undefined ? { apiName: input.apiName } : {}),
      },
      callsAs(c),
    );
  } catch (err) {
    throw refused(err);
  }
}

export async function listProjects(c: OperationContext): Promise<ProjectStatus[]> {
  return c.host.projects.list(actingAs(c));
}

export async function closeProject(
  c: OperationContext,
  input: OperationInput<"closeProject">,
): Promise<{ id: string; closed: boolean }> {
  return { id: input.projectId, closed: await c.host.projects.close(actingAs(c), input.projectId) };
}
