// Lambda's function management on the local port, as the AWS SDKs and CLI call it: CreateFunction,
// UpdateFunctionCode, GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration, ListFunctions and
// DeleteFunction. Versions, aliases, policies, tags and concurrency are in the files beside this one.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { HearthError } from "../../domain/model/errors.ts";
import type { HearthState, Runtime, Task, TaskVersion } from "../../domain/model/state.ts";
import { runtimeProblem } from "../../domain/tasks/runtime-ids.ts";
import { setDeadLetter } from "../../domain/tasks/event-invoke-config.ts";
import { deleteVersion, tagTask } from "../../domain/tasks/task-settings.ts";
import { createTask, deleteTask, updateTaskCode, updateTaskConfig } from "../../domain/tasks/tasks.ts";
import { publishVersion } from "../../domain/tasks/versions.ts";
import type { Host } from "../../host.ts";
import { importTaskCode } from "../../store/task-import.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import type { LambdaCaller } from "./lambda-auth.ts";
import {
  checkRevision,
  configuration,
  lambdaBody,
  ownTask,
  qualifierOf,
  registerLambdaScope,
} from "./lambda-scope.ts";

/** A runtime identifier as Lambda spells it, refused by name when Hearth has not got it. */
function runtimeOf(id: string): Runtime {
  const problem = runtimeProblem(id);
  if (problem !== null) throw new HearthError("INVALID_INPUT", `Runtime ${problem}`, "Runtime");
  return id as Runtime;
}

const zipSchema = z.string({ error: "must be the zip, base64-encoded" }).min(1, "must not be empty");
const environmentSchema = z.strictObject({ Variables: z.record(z.string(), z.string()).optional() });
const tagsSchema = z.record(z.string(), z.string());

const createSchema = z.strictObject({
  FunctionName: z.string(),
  Runtime: z.string(),
  Handler: z.string(),
  Code: z.strictObject({ ZipFile: zipSchema }),
  Description: z.string().optional(),
  MemorySize: z.number().optional(),
  Timeout: z.number().optional(),
  Environment: environmentSchema.optional(),
  Publish: z.boolean().optional(),
  Tags: tagsSchema.optional(),
  DeadLetterConfig: z.strictObject({ TargetArn: z.string().optional() }).optional(),
});
const updateCodeSchema = z.strictObject({
  ZipFile: zipSchema,
  Publish: z.boolean().optional(),
  RevisionId: z.string().optional(),
});
const updateConfigSchema = z.strictObject({
  Description: z.string().optional(),
  Runtime: z.string().optional(),
  Handler: z.string().optional(),
  MemorySize: z.number().optional(),
  Timeout: z.number().optional(),
  Environment: environmentSchema.optional(),
  RevisionId: z.string().optional(),
  DeadLetterConfig: z.strictObject({ TargetArn: z.string().optional() }).optional(),
});

/**
 * The configuration a qualifier names: $LATEST, a version, or an own alias (its primary version, as Lambda
 * answers it).
 */
function qualified(state: HearthState, task: Task, qualifier: string | undefined): TaskVersion | undefined {
  if (qualifier === undefined || qualifier === "$LATEST") return undefined;
  let version: number | "$LATEST";
  if (/^[0-9]+$/.test(qualifier)) version = Number(qualifier);
  else {
    const alias = state.aliases.find(
      (a) => a.taskId === task.id && a.profileId === task.profileId && a.name === qualifier,
    );
    if (!alias)
      throw new HearthError("ALIAS_NOT_FOUND", `Function not found: ${task.name}:${qualifier}`, "Qualifier");
    version = alias.routing.version;
  }
  if (version === "$LATEST") return undefined;
  const v = task.versions.find((x) => x.version === version);
  if (!v)
    throw new HearthError("VERSION_NOT_FOUND", `Function not found: ${task.name}:${qualifier}`, "Qualifier");
  return v;
}

export function registerLambdaFunctions(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  registerLambdaScope(server, app, failures, ({ route, docs, ctx, updateStatus }) => {
    const latest = (c: LambdaCaller, task: Task, v?: TaskVersion) =>
      configuration(docs.state, task, c, v, v ? undefined : updateStatus(task));
    const answer = (c: LambdaCaller, name: string, v?: TaskVersion) =>
      latest(c, ownTask(docs.state, c, name), v);
    const published = (c: LambdaCaller, name: string, version: number) =>
      ownTask(docs.state, c, name).versions.find((x) => x.version === version);

    route("POST", "/2015-03-31/functions", async (c, req, reply) => {
      // Role is Lambda's execution role: there is no IAM here, and a task's rights are its sandbox's.
      const b = lambdaBody(createSchema, req.body, ["Role"]);
      const imported = await importTaskCode({
        code: Buffer.from(b.Code.ZipFile, "base64"),
        manifest: {
          name: b.FunctionName,
          runtime: runtimeOf(b.Runtime),
          handler: b.Handler,
          ...(b.Description !== undefined ? { description: b.Description } : {}),
          ...(b.MemorySize !== undefined ? { memoryMb: b.MemorySize } : {}),
          ...(b.Timeout !== undefined ? { timeoutS: b.Timeout } : {}),
          environment: b.Environment?.Variables ?? {},
        },
      });
      await app.store.blobs.put(imported.code);
      const code = { sha256: imported.sha256, size: imported.size };
      await docs.update((s) => {
        const created = createTask(s, c.profileId, { ...imported.manifest, code }, ctx());
        let next = created.state;
        if (b.Tags) next = tagTask(next, c.profileId, { task: b.FunctionName, tags: b.Tags }).state;
        const dead = b.DeadLetterConfig?.TargetArn;
        if (dead) next = setDeadLetter(next, c.profileId, { task: b.FunctionName, targetArn: dead }).state;
        return { state: next, result: null };
      });
      app.pool.ensure(c.profileId);
      let version: TaskVersion | undefined;
      if (b.Publish) {
        const p = await docs.update((s) => publishVersion(s, c.profileId, { task: b.FunctionName }, ctx()));
        version = published(c, b.FunctionName, p.version.version);
      }
      return reply.code(201).send(answer(c, b.FunctionName, version));
    });

    route("PUT", "/2015-03-31/functions/:name/code", async (c, req, reply) => {
      const b = lambdaBody(updateCodeSchema, req.body);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      checkRevision(task, b.RevisionId);
      const c0 = task.latest.config;
      const imported = await importTaskCode({
        code: Buffer.from(b.ZipFile, "base64"),
        manifest: {
          name: task.name,
          runtime: c0.runtime,
          handler: c0.handler,
          memoryMb: c0.memoryMb,
          timeoutS: c0.timeoutS,
          environment: c0.environment,
        },
      });
      await app.store.blobs.put(imported.code);
      await docs.update((s) =>
        updateTaskCode(
          s,
          c.profileId,
          { task: task.name, code: { sha256: imported.sha256, size: imported.size } },
          ctx(),
        ),
      );
      let version: TaskVersion | undefined;
      if (b.Publish) {
        const p = await docs.update((s) => publishVersion(s, c.profileId, { task: task.name }, ctx()));
        version = published(c, task.name, p.version.version);
      }
      return reply.send(answer(c, task.name, version));
    });

    route("GET", "/2015-03-31/functions/:name", async (c, req, reply) => {
      // Only the owner's functions are visible here; a shared task is invoked, never read.
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      const v = qualified(docs.state, task, qualifierOf(req, name));
      return reply.send({
        Configuration: latest(c, task, v),
        Code: { RepositoryType: "Hearth" },
        ...(task.tags ? { Tags: task.tags } : {}),
        ...(task.reservedConcurrency !== undefined
          ? { Concurrency: { ReservedConcurrentExecutions: task.reservedConcurrency } }
          : {}),
      });
    });

    route("GET", "/2015-03-31/functions/:name/configuration", async (c, req, reply) => {
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      return reply.send(latest(c, task, qualified(docs.state, task, qualifierOf(req, name))));
    });

    route("PUT", "/2015-03-31/functions/:name/configuration", async (c, req, reply) => {
      const b = lambdaBody(updateConfigSchema, req.body, ["Role"]);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      checkRevision(task, b.RevisionId);
      await docs.update((s) => {
        const dead = b.DeadLetterConfig;
        const s1 = dead
          ? setDeadLetter(s, c.profileId, { task: task.name, targetArn: dead.TargetArn ?? null }).state
          : s;
        return updateTaskConfig(
          s1,
          c.profileId,
          {
            task: task.name,
            ...(b.Description !== undefined ? { description: b.Description } : {}),
            ...(b.Runtime !== undefined ? { runtime: runtimeOf(b.Runtime) } : {}),
            ...(b.Handler !== undefined ? { handler: b.Handler } : {}),
            ...(b.MemorySize !== undefined ? { memoryMb: b.MemorySize } : {}),
            ...(b.Timeout !== undefined ? { timeoutS: b.Timeout } : {}),
            ...(b.Environment !== undefined ? { environment: b.Environment.Variables ?? {} } : {}),
          },
          ctx(),
        );
      });
      return reply.send(answer(c, task.name));
    });

    route("DELETE", "/2015-03-31/functions/:name", async (c, req, reply) => {
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      const q = qualifierOf(req, name);
      if (q !== undefined && q !== "$LATEST") {
        if (!/^[0-9]+$/.test(q))
          throw new HearthError("INVALID_INPUT", "Qualifier must be a version number to delete", "Qualifier");
        await docs.update((s) => deleteVersion(s, c.profileId, { task: task.name, version: Number(q) }));
      } else {
        await docs.update((s) => deleteTask(s, c.profileId, { task: task.name }));
      }
      return reply.code(204).send();
    });

    // The SDKs ask without the trailing slash, the awscli with it.
    route("GET", ["/2015-03-31/functions", "/2015-03-31/functions/"], async (c, _req, reply) => {
      const own = docs.state.tasks.filter((t) => t.profileId === c.profileId);
      return reply.send({ Functions: own.map((t) => latest(c, t)) });
    });
  });
}
