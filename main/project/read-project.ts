// Finds and reads a project in a folder: an AWS SAM template (template.yaml / template.yml), a Serverless service
// (serverless.yml / serverless.yaml) or a Hearth task (task.json), in that order.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseInput } from "../domain/model/input-validation.ts";
import { taskManifestSchema } from "../domain/tasks/task-config.ts";
import { bundleFor } from "./handler-source.ts";
import { hearthName, ProjectError, type ProjectModel } from "./project-model.ts";
import { readSamTemplate, type ReadOptions } from "./sam-template.ts";
import { readServerlessConfig, type ServerlessOptions } from "./serverless-config.ts";

export const PROJECT_FILES = [
  "template.yaml",
  "template.yml",
  "serverless.yml",
  "serverless.yaml",
  "task.json",
] as const;

export type ProjectOptions = ReadOptions & ServerlessOptions;

/** The project file in `dir`, or null. */
export function findProjectFile(dir: string): (typeof PROJECT_FILES)[number] | null {
  return PROJECT_FILES.find((f) => existsSync(join(dir, f))) ?? null;
}

export function readProject(dirArg: string, o: ProjectOptions = {}): ProjectModel {
  const model = readModel(resolve(dirArg), o);
  return o.apiName === undefined ? model : { ...model, apiName: hearthName(o.apiName) };
}

function readModel(dir: string, o: ProjectOptions): ProjectModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ProjectError("PROJECT_NOT_FOUND", `${dir} is not a folder`);
  const file = findProjectFile(dir);
  if (!file) {
    throw new ProjectError(
      "PROJECT_NOT_FOUND",
      `${dir} has no ${PROJECT_FILES.join(", ")}: open the folder that holds your SAM template, serverless.yml or task.json`,
    );
  }
  const text = readFileSync(join(dir, file), "utf8");
  if (file.startsWith("template.")) return readSamTemplate(dir, file, text, o);
  if (file.startsWith("serverless.")) return readServerlessConfig(dir, file, text, o);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProjectError("PROJECT_INVALID", `is not JSON: ${(err as Error).message}`, { file, line: 1 });
  }
  let m;
  try {
    m = parseInput(taskManifestSchema, raw);
  } catch (err) {
    throw new ProjectError("PROJECT_INVALID", (err as Error).message, { file, line: 1 });
  }
  return {
    kind: "task",
    dir,
    file,
    apiName: hearthName(m.name),
    functions: [
      {
        name: m.name,
        id: m.name,
        at: { file, line: 1 },
        runtime: m.runtime,
        handler: m.handler,
        memoryMb: m.memoryMb,
        timeoutS: m.timeoutS,
        description: m.description,
        environment: m.environment,
        codeDir: dir,
        bundle: bundleFor(dir, m.handler, m.runtime),
      },
    ],
    routes: [],
    notes: [],
  };
}
