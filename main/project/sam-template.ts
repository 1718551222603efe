// An AWS SAM template (template.yaml): each AWS::Serverless::Function as a task, with Globals merged in and its
// HttpApi and Api events as routes. Parameters take their defaults or the overrides given; CloudFormation's
// intrinsics resolve where a local run can; everything else is listed once with its line.
import { resolve as resolvePath } from "node:path";
import { MEMORY_MB, TIMEOUT_S } from "../domain/tasks/task-limits.ts";
import { runtimeProblem, type Runtime } from "../domain/tasks/runtime-ids.ts";
import { parseYamlFile } from "./cfn-yaml.ts";
import { bundleFor } from "./handler-source.ts";
import { resolve, Unresolvable, type IntrinsicContext } from "./intrinsics.ts";
import {
  hearthName,
  isObj,
  ProjectError,
  type Obj,
  type ProjectFunction,
  type ProjectModel,
  type ProjectNote,
  type ProjectRoute,
} from "./project-model.ts";

export interface ReadOptions {
  /** `--parameter-overrides Key=Value`. */
  parameterOverrides?: Record<string, string>;
  region?: string;
  accountId?: string;
  /** The API's name; by default the project folder's name. */
  apiName?: string;
}

/** Properties Hearth runs with. */
const HONOURED = new Set([
  "Handler",
  "Runtime",
  "CodeUri",
  "MemorySize",
  "Timeout",
  "Environment",
  "Events",
  "FunctionName",
  "Description",
]);
/** Properties about permissions, deployment or tracing in AWS: nothing to do locally, so not worth a note. */
const DEPLOY_ONLY = new Set([
  "Policies",
  "Role",
  "Tags",
  "Tracing",
  "AutoPublishAlias",
  "AutoPublishCodeSha256",
  "DeploymentPreference",
  "PermissionsBoundary",
  "RolePath",
  "ProvisionedConcurrencyConfig",
  "VersionDescription",
  "PropagateTags",
  "KmsKeyArn",
  "LoggingConfig",
  "RuntimeManagementConfig",
  "SnapStart",
  "CodeSigningConfigArn",
]);

export function readSamTemplate(dir: string, file: string, text: string, o: ReadOptions = {}): ProjectModel {
  const y = parseYamlFile(file, text, true);
  if (!isObj(y.value))
    throw new ProjectError("PROJECT_INVALID", "is not a template (a mapping)", { file, line: 1 });
  const t = y.value;
  const notes: ProjectNote[] = [];
  const note = (path: (string | number)[], message: string) =>
    notes.push({ at: { file, line: y.lineOf(path) }, message });
  const apiName = hearthName(o.apiName ?? dir.split("/").filter(Boolean).pop() ?? "project");

  const parameters: Record<string, string> = {};
  for (const [name, p] of Object.entries(isObj(t.Parameters) ? t.Parameters : {})) {
    const given = o.parameterOverrides?.[name];
    const def = isObj(p) ? p.Default : undefined;
    if (given !== undefined) parameters[name] = given;
    else if (def !== undefined) parameters[name] = Array.isArray(def) ? def.join(",") : String(def);
    else
      note(
        ["Parameters", name],
        `parameter ${name} has no Default: give it with --parameter-overrides ${name}=VALUE`,
      );
  }
  for (const name of Object.keys(o.parameterOverrides ?? {})) {
    if (!Object.hasOwn(isObj(t.Parameters) ? t.Parameters : {}, name))
      notes.push({
        at: { file, line: 1 },
        message: `--parameter-overrides names ${name}, which Parameters does not declare`,
      });
  }
  const ctx: IntrinsicContext = {
    parameters,
    pseudo: {
      "AWS::Region": o.region ?? "us-east-1",
      "AWS::AccountId": o.accountId ?? "000000000000",
      "AWS::StackName": apiName,
      "AWS::Partition": "aws",
      "AWS::URLSuffix": "amazonaws.com",
      "AWS::StackId": `arn:aws:cloudformation:${o.region ?? "us-east-1"}:${o.accountId ?? "000000000000"}:stack/${apiName}/local`,
    },
    mappings: (isObj(t.Mappings) ? t.Mappings : {}) as IntrinsicContext["mappings"],
    conditions: isObj(t.Conditions) ? t.Conditions : {},
  };
  /** A value resolved, or undefined with a note when it needs a deployed stack. */
  const value = (v: unknown, path: (string | number)[]): unknown => {
    try {
      return resolve(v, ctx);
    } catch (err) {
      if (!(err instanceof Unresolvable)) throw err;
      note(path, `${path[path.length - 1]}: ${err.message}; left out`);
      return undefined;
    }
  };

  const globals = isObj(t.Globals) && isObj(t.Globals.Function) ? t.Globals.Function : {};
  for (const key of Object.keys(globals)) {
    if (!HONOURED.has(key) && !DEPLOY_ONLY.has(key))
      note(["Globals", "Function", key], `Globals.Function.${key} is not honoured by Hearth`);
  }

  const functions: ProjectFunction[] = [];
  const routes: ProjectRoute[] = [];
  const resources = isObj(t.Resources) ? t.Resources : {};
  if (!isObj(t.Resources)) note([], "the template has no Resources");
  for (const [id, res] of Object.entries(resources)) {
    if (!isObj(res)) continue;
    const type = res.Type;
    if (type !== "AWS::Serverless::Function") {
      if (type === "AWS::Lambda::Function")
        note(
          ["Resources", id],
          `${id}: AWS::Lambda::Function is not imported; Hearth reads AWS::Serverless::Function`,
        );
      else if (type !== "AWS::Serverless::HttpApi" && type !== "AWS::Serverless::Api")
        note(["Resources", id, "Type"], `${id}: ${String(type)} is not created by Hearth`);
      continue;
    }
    const props = isObj(res.Properties) ? res.Properties : {};
    const at = (key: string) => ["Resources", id, "Properties", key];
    const pick = (key: string): unknown =>
      Object.hasOwn(props, key)
        ? value(props[key], at(key))
        : Object.hasOwn(globals, key)
          ? value(globals[key], ["Globals", "Function", key])
          : undefined;
    for (const key of Object.keys(props)) {
      if (HONOURED.has(key) || DEPLOY_ONLY.has(key)) continue;
      if (key === "PackageType" && props[key] === "Zip") continue;
      if (key === "Architectures" && JSON.stringify(props[key]) === '["x86_64"]') continue;
      note(at(key), `${id}: ${key} is not honoured by Hearth`);
    }
    const problem = (path: (string | number)[], message: string): void => {
      throw new ProjectError("PROJECT_INVALID", `${id}: ${message}`, { file, line: y.lineOf(path) });
    };
    const runtime = pick("Runtime");
    if (typeof runtime !== "string")
      problem(at("Runtime"), "Runtime is missing (in the function or Globals.Function)");
    const rp = runtimeProblem(runtime as string);
    if (rp) problem(at("Runtime"), `Runtime ${rp}`);
    const handler = pick("Handler");
    if (typeof handler !== "string" || handler === "") problem(at("Handler"), "Handler is missing");
    const codeUri = pick("CodeUri") ?? ".";
    if (typeof codeUri !== "string")
      problem(
        at("CodeUri"),
        "CodeUri must be a folder of the project (an S3 location cannot be run locally)",
      );
    const codeDir = resolvePath(dir, codeUri as string);
    if (!codeDir.startsWith(resolvePath(dir)))
      problem(at("CodeUri"), `CodeUri ${String(codeUri)} is outside the project's folder`);
    const memory = pick("MemorySize");
    const timeout = pick("Timeout");
    const envVars: Record<string, string> = {};
    for (const [scope, env] of [
      ["Globals", globals.Environment],
      ["Resources", props.Environment],
    ] as const) {
      const base =
        scope === "Globals"
          ? ["Globals", "Function", "Environment", "Variables"]
          : [...at("Environment"), "Variables"];
      const vars = isObj(env) && isObj(env.Variables) ? env.Variables : {};
      for (const [k, v] of Object.entries(vars)) {
        const r = value(v, [...base, k]);
        if (r !== undefined) envVars[k] = typeof r === "string" ? r : JSON.stringify(r);
        else delete envVars[k];
      }
    }
    const fnName = typeof props.FunctionName === "string" ? props.FunctionName : id;
    const metadata = isObj(res.Metadata) ? res.Metadata : {};
    const entries = isObj(metadata.BuildProperties) ? metadata.BuildProperties.EntryPoints : undefined;
    const explicit =
      metadata.BuildMethod === "esbuild" && Array.isArray(entries) && typeof entries[0] === "string"
        ? entries[0]
        : undefined;
    functions.push({
      name: hearthName(fnName),
      id,
      at: { file, line: y.lineOf(["Resources", id]) },
      runtime: runtime as Runtime,
      handler: handler as string,
      memoryMb: typeof memory === "number" ? memory : MEMORY_MB.default,
      timeoutS: typeof timeout === "number" ? timeout : TIMEOUT_S.default,
      description: typeof pick("Description") === "string" ? (pick("Description") as string) : "",
      environment: envVars,
      codeDir,
      bundle: bundleFor(codeDir, handler as string, runtime as Runtime, explicit),
    });

    for (const [eventId, ev] of Object.entries(isObj(props.Events) ? props.Events : {})) {
      const evAt = [...at("Events"), eventId];
      if (!isObj(ev)) continue;
      const evProps = isObj(ev.Properties)
        ? ((value(ev.Properties, [...evAt, "Properties"]) as Obj | undefined) ?? {})
        : {};
      if (ev.Type === "HttpApi" || ev.Type === "Api") {
        const path = evProps.Path;
        const method = evProps.Method;
        if (ev.Type === "HttpApi" && path === undefined && method === undefined) {
          routes.push({
            routeKey: "$default",
            functionId: id,
            event: "HttpApi",
            at: { file, line: y.lineOf(evAt) },
          });
          continue;
        }
        if (typeof path !== "string" || typeof method !== "string") {
          note(evAt, `${id}.${eventId}: an ${String(ev.Type)} event needs Path and Method; left out`);
          continue;
        }
        const verb = method.toLowerCase() === "any" || method === "*" ? "ANY" : method.toUpperCase();
        routes.push({
          routeKey: `${verb} ${path}`,
          functionId: id,
          event: String(ev.Type),
          at: { file, line: y.lineOf(evAt) },
        });
        for (const k of Object.keys(evProps)) {
          if (
            !["Path", "Method", "ApiId", "RestApiId", "PayloadFormatVersion", "TimeoutInMillis"].includes(k)
          )
            note([...evAt, "Properties", k], `${id}.${eventId}: ${k} is not honoured by Hearth`);
        }
      } else {
        note(
          [...evAt, "Type"],
          `${id}.${eventId}: ${String(ev.Type)} events are not wired by Hearth yet; invoke the task with a sample event (hearth event generate)`,
        );
      }
    }
  }
  return { kind: "sam", dir: resolvePath(dir), file, apiName, functions, routes, notes };
}
