// What Hearth reads out of a developer's project (an AWS SAM template, a serverless.yml or a task.json): its
// functions as tasks, its HTTP events as an API's routes, and what it cannot honour, by file and line. The project is
// only ever read: everything Hearth makes of it lives in Hearth's own data directory.
import type { Runtime } from "../domain/tasks/runtime-ids.ts";

export type ProjectKind = "sam" | "serverless" | "task";

/** A place in the project, for messages: the file relative to the project's folder, and a 1-based line. */
export interface SourceAt {
  file: string;
  line: number;
}

export interface ProjectFunction {
  /** The task's name: SAM's FunctionName or logical id, Serverless's `service-stage-function` or `name`. */
  name: string;
  /** The function's id in the project: the SAM logical id, the serverless.yml key, the task.json name. */
  id: string;
  at: SourceAt;
  runtime: Runtime;
  handler: string;
  memoryMb: number;
  timeoutS: number;
  description: string;
  environment: Record<string, string>;
  /** Absolute folder whose files are the function's code. */
  codeDir: string;
  /**
   * A TypeScript handler, bundled with esbuild before upload: its entry file relative to codeDir, and the module
   * path (without extension) the handler names, which the bundle is written as.
   */
  bundle: { entry: string; module: string } | null;
}

export interface ProjectRoute {
  /** An API route key as Hearth's APIs take it: `GET /orders/{id}`, `ANY /{proxy+}` or `$default`. */
  routeKey: string;
  /** The id of the function it calls. */
  functionId: string;
  /** The event's type as the project names it: HttpApi, Api, httpApi or http. */
  event: string;
  at: SourceAt;
}

/** Something in the project Hearth does not honour (or could not resolve), listed once by name and line. */
export interface ProjectNote {
  at: SourceAt;
  message: string;
}

export interface ProjectModel {
  kind: ProjectKind;
  /** Absolute path of the project's folder. */
  dir: string;
  /** The file the project was read from, relative to dir. */
  file: string;
  /** The API its routes are published as (`/apis/{name}/…` on the local port). */
  apiName: string;
  functions: ProjectFunction[];
  routes: ProjectRoute[];
  notes: ProjectNote[];
}

/** A project that cannot be read at all: the file and line, and why. */
export class ProjectError extends Error {
  constructor(
    readonly code: "PROJECT_NOT_FOUND" | "PROJECT_INVALID" | "PROJECT_NOT_DEPLOYED" | "API_EXISTS",
    message: string,
    readonly at?: SourceAt,
  ) {
    super(`${code}: ${at ? `${at.file}:${at.line}: ` : ""}${message}`);
  }
}

/** Letters, digits, - and _ only (a task's or an API's name), at most 64 characters. */
export function hearthName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return (cleaned || "project").slice(0, 64);
}

/** A YAML mapping, as the readers walk one. */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
