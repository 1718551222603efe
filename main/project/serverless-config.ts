// A Serverless Framework service (serverless.yml, v3 or v4): each function as a task with the provider's defaults,
// its httpApi and http events as routes. `${self:…}`, `${opt:stage}`, `${sls:stage}`, `${env:…}` and
// `${aws:region}` variables resolve, with their fallbacks; other sources are listed once with their line.
import { resolve as resolvePath } from "node:path";
import { runtimeProblem, type Runtime } from "../domain/tasks/runtime-ids.ts";
import { parseYamlFile } from "./cfn-yaml.ts";
import { bundleFor } from "./handler-source.ts";
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

export interface ServerlessOptions {
  /** `--stage`, as `serverless --stage` (default: provider.stage, else dev). */
  stage?: string;
  region?: string;
  /** The environment `${env:…}` reads. */
  env?: Record<string, string | undefined>;
}

/**
 * The Serverless Framework's own defaults for a function (not Lambda's), but for memory: Serverless deploys 1024 MB
 * when nothing is said, more than a sandbox of one of Hearth's VMs may take, so Hearth takes Lambda's default and
 * says so.
 */
const SLS_MEMORY_MB = 1024;
const LAMBDA_MEMORY_MB = 128;
const SLS_TIMEOUT_S = 6;
const SLS_RUNTIME = "nodejs20.x";

const FUNCTION_KEYS = new Set([
  "handler",
  "runtime",
  "memorySize",
  "timeout",
  "environment",
  "events",
  "name",
  "description",
  "package",
]);
const DEPLOY_ONLY = new Set([
  "role",
  "tags",
  "iamRoleStatements",
  "iamRoleStatementsName",
  "tracing",
  "logRetentionInDays",
  "reservedConcurrency",
  "provisionedConcurrency",
  "versionFunctions",
  "disableLogs",
  "kmsKeyArn",
  "architecture",
]);

/** `a.b.c` in `root`. */
function lookup(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const part of path.split(".").filter(Boolean)) {
    if (!isObj(v) || !Object.hasOwn(v, part)) return undefined;
    v = v[part];
  }
  return v;
}

export function readServerlessConfig(
  dir: string,
  file: string,
  text: string,
  o: ServerlessOptions = {},
): ProjectModel {
  const y = parseYamlFile(file, text, true);
  if (!isObj(y.value))
    throw new ProjectError("PROJECT_INVALID", "is not a serverless.yml (a mapping)", { file, line: 1 });
  const doc = y.value;
  const notes: ProjectNote[] = [];
  const noted = new Set<string>();
  const note = (path: (string | number)[], message: string) => {
    if (noted.has(message)) return;
    noted.add(message);
    notes.push({ at: { file, line: y.lineOf(path) }, message });
  };
  const env = o.env ?? process.env;
  const rawProvider = isObj(doc.provider) ? doc.provider : {};
  const stageOf = (): string =>
    o.stage ??
    (typeof rawProvider.stage === "string" && !rawProvider.stage.includes("${") ? rawProvider.stage : "dev");
  const regionOf = (): string =>
    o.region ??
    (typeof rawProvider.region === "string" && !rawProvider.region.includes("${")
      ? rawProvider.region
      : "us-east-1");

  /** One `${…}` expression: its first source that resolves, else its literal fallback. */
  const variable = (expr: string, path: (string | number)[], depth: number): unknown => {
    const parts = splitTop(expr);
    for (const part of parts) {
      const p = part.trim();
      const quoted = /^(['"])(.*)\1$/.exec(p);
      if (quoted) return quoted[2];
      if (/^-?\d+(\.\d+)?$/.test(p)) return Number(p);
      const m = /^(\w+):(.*)$/.exec(p);
      if (!m) {
        if (p === "") continue;
        return p;
      }
      const [, source, arg] = m as unknown as [string, string, string];
      let v: unknown;
      if (source === "self") v = lookup(doc, arg);
      else if (source === "opt") v = arg === "stage" ? o.stage : arg === "region" ? o.region : undefined;
      else if (source === "sls") v = arg === "stage" ? stageOf() : arg === "instanceId" ? "local" : undefined;
      else if (source === "env") v = env[arg];
      else if (source === "aws")
        v = arg === "region" ? regionOf() : arg === "accountId" ? "000000000000" : undefined;
      else {
        note(path, `\${${source}:…} is not resolved by Hearth (at ${path.join(".")})`);
        continue;
      }
      if (v !== undefined && v !== null) return interpolate(v, path, depth + 1);
    }
    return undefined;
  };
  const interpolate = (v: unknown, path: (string | number)[], depth = 0): unknown => {
    if (depth > 10)
      throw new ProjectError(
        "PROJECT_INVALID",
        `variables refer to each other in a loop at ${path.join(".")}`,
        { file, line: y.lineOf(path) },
      );
    if (typeof v === "string") {
      const whole = /^\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}$/.exec(v);
      if (whole && !v.slice(2, -1).includes("${")) return variable(whole[1]!, path, depth);
      let out = v;
      for (let i = 0; i < 10 && /\$\{/.test(out); i++) {
        out = out.replace(/\$\{([^${}]*)\}/g, (_m, expr: string) => {
          const r = variable(expr, path, depth);
          return r === undefined ? "" : typeof r === "string" ? r : JSON.stringify(r);
        });
      }
      return out;
    }
    if (Array.isArray(v)) return v.map((x, i) => interpolate(x, [...path, i], depth));
    if (isObj(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, [...path, k], depth)]));
    return v;
  };

  const service = interpolate(isObj(doc.service) ? doc.service.name : doc.service, ["service"]);
  if (typeof service !== "string" || service === "")
    throw new ProjectError("PROJECT_INVALID", "service is missing", { file, line: 1 });
  const stage = String(interpolate(o.stage ?? rawProvider.stage ?? "dev", ["provider", "stage"]));
  const provider = interpolate(rawProvider, ["provider"]) as Obj;
  if (provider.name !== undefined && provider.name !== "aws")
    throw new ProjectError("PROJECT_INVALID", `provider ${String(provider.name)} is not AWS`, {
      file,
      line: y.lineOf(["provider", "name"]),
    });
  for (const k of ["layers", "vpc"])
    if (provider[k] !== undefined) note(["provider", k], `provider.${k} is not honoured by Hearth`);
  if (Array.isArray(doc.plugins)) {
    for (const plugin of doc.plugins) {
      if (
        plugin === "serverless-esbuild" ||
        plugin === "serverless-plugin-typescript" ||
        plugin === "serverless-offline"
      )
        continue;
      note(["plugins"], `plugin ${String(plugin)} is not run by Hearth`);
    }
  }
  const providerEnv = isObj(provider.environment) ? provider.environment : {};
  const functions: ProjectFunction[] = [];
  const routes: ProjectRoute[] = [];
  const rawFunctions = isObj(doc.functions) ? doc.functions : {};
  for (const [id, raw] of Object.entries(rawFunctions)) {
    const at = (...k: (string | number)[]) => ["functions", id, ...k];
    const fn = interpolate(raw, at()) as Obj;
    if (!isObj(fn)) continue;
    const fail = (key: string, message: string): never => {
      throw new ProjectError("PROJECT_INVALID", `${id}: ${message}`, { file, line: y.lineOf(at(key)) });
    };
    for (const key of Object.keys(fn)) {
      if (!FUNCTION_KEYS.has(key) && !DEPLOY_ONLY.has(key))
        note(at(key), `${id}: ${key} is not honoured by Hearth`);
    }
    if (fn.image !== undefined) fail("image", "container images are not run by Hearth");
    const handler = fn.handler;
    if (typeof handler !== "string" || handler === "") fail("handler", "handler is missing");
    const runtime = (fn.runtime ?? provider.runtime ?? SLS_RUNTIME) as string;
    const rp = runtimeProblem(String(runtime));
    if (rp) fail(fn.runtime !== undefined ? "runtime" : "handler", `runtime ${rp}`);
    let memory = fn.memorySize ?? provider.memorySize;
    if (memory === undefined) {
      memory = LAMBDA_MEMORY_MB;
      note(
        ["provider"],
        `memorySize is not set: Serverless would deploy ${SLS_MEMORY_MB} MB, Hearth runs with Lambda's ${LAMBDA_MEMORY_MB} MB (set provider.memorySize to choose)`,
      );
    }
    const timeout = fn.timeout ?? provider.timeout ?? SLS_TIMEOUT_S;
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries({
      ...providerEnv,
      ...(isObj(fn.environment) ? fn.environment : {}),
    })) {
      if (v === undefined || v === null || v === "") continue;
      environment[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    const codeDir = resolvePath(dir);
    functions.push({
      name: hearthName(typeof fn.name === "string" ? fn.name : `${service}-${stage}-${id}`),
      id,
      at: { file, line: y.lineOf(at()) },
      runtime: runtime as Runtime,
      handler: handler as string,
      memoryMb: Number(memory),
      timeoutS: Number(timeout),
      description: typeof fn.description === "string" ? fn.description : "",
      environment,
      codeDir,
      bundle: bundleFor(codeDir, handler as string, runtime as Runtime),
    });
    const events = Array.isArray(fn.events) ? fn.events : [];
    events.forEach((ev, i) => {
      if (!isObj(ev)) return;
      const [type, spec] = Object.entries(ev)[0] ?? [];
      const evAt = { file, line: y.lineOf(at("events", i)) };
      if (type === "httpApi") {
        if (spec === "*") routes.push({ routeKey: "$default", functionId: id, event: type, at: evAt });
        else if (typeof spec === "string") {
          const [method, path] = spec.trim().split(/\s+/);
          routes.push({
            routeKey: `${method === "*" ? "ANY" : method!.toUpperCase()} ${path}`,
            functionId: id,
            event: type,
            at: evAt,
          });
        } else if (isObj(spec)) {
          const method = String(spec.method ?? "*");
          routes.push({
            routeKey: `${method === "*" ? "ANY" : method.toUpperCase()} ${String(spec.path ?? "/")}`,
            functionId: id,
            event: type,
            at: evAt,
          });
        }
      } else if (type === "http") {
        const [method, path] =
          typeof spec === "string"
            ? spec.trim().split(/\s+/)
            : isObj(spec)
              ? [String(spec.method ?? "any"), String(spec.path ?? "")]
              : ["", ""];
        const clean = `/${String(path).replace(/^\/+/, "")}`;
        routes.push({
          routeKey: `${!method || method === "*" || method.toLowerCase() === "any" ? "ANY" : method.toUpperCase()} ${clean}`,
          functionId: id,
          event: type,
          at: evAt,
        });
      } else {
        note(
          at("events", i),
          `${id}: ${String(type)} events are not wired by Hearth yet; invoke the task with a sample event (hearth event generate)`,
        );
      }
    });
  }
  if (Object.keys(rawFunctions).length === 0) note(["functions"], "the service has no functions");
  if (doc.resources !== undefined)
    note(["resources"], "resources (CloudFormation) are not created by Hearth");
  return {
    kind: "serverless",
    dir: resolvePath(dir),
    file,
    apiName: hearthName(`${stage}-${service}`),
    functions,
    routes,
    notes,
  };
}

/** Splits `a, b, 'c, d'` at its top-level commas. */
function splitTop(expr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = "";
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "{") depth++;
    else if (ch === "}") depth--;
    else if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}
