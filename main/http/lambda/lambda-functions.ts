// Lambda's function management on the local port: CreateFunction, UpdateFunctionCode, GetFunction, ListFunctions,
// PublishVersion, CreateAlias/UpdateAlias and AddPermission (the cross-profile grant), as the AWS SDKs call them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { createAlias, updateAlias } from "../../domain/aliases/aliases.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { createGrant } from "../../domain/aliases/grants.ts";
import { parseInput } from "../../domain/model/input-validation.ts";
import type { HearthState, Runtime, Task, TaskVersion, VersionRef } from "../../domain/model/state.ts";
import { createTask, updateTaskCode } from "../../domain/tasks/tasks.ts";
import { publishVersion } from "../../domain/tasks/versions.ts";
import { listTaskViews } from "../../domain/model/views.ts";
import type { Host } from "../../host.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import { systemRandom } from "../../store/system-random.ts";
import { importTaskCode } from "../../store/task-import.ts";
import { lambdaRuntimeId, runtimeProblem } from "../../domain/tasks/runtime-ids.ts";
import { lambdaCaller, lambdaHeadersCheck, rawBody, type LambdaCaller } from "./lambda-auth.ts";
import { parseFunctionName, sendLambdaError } from "./lambda-invoke.ts";

/** A 50 MiB zip in base64 inside JSON. */
const MAX_MANAGEMENT_BODY_BYTES = 70 * 1024 * 1024;

/** A runtime identifier as Lambda spells it, refused by name when Hearth has not got it. */
function runtimeOf(id: string): Runtime {
  const problem = runtimeProblem(id);
  if (problem !== null) throw new HearthError("INVALID_INPUT", `Runtime ${problem}`, "Runtime");
  return id as Runtime;
}

const zipSchema = z.string({ error: "must be the zip, base64-encoded" }).min(1, "must not be empty");
const createSchema = z.object({
  FunctionName: z.string(),
  Runtime: z.string(),
  Handler: z.string(),
  Code: z.object({ ZipFile: zipSchema }),
  Description: z.string().optional(),
  MemorySize: z.number().optional(),
  Timeout: z.number().optional(),
  Environment: z.object({ Variables: z.record(z.string(), z.string()).optional() }).optional(),
  Publish: z.boolean().optional(),
});
const updateCodeSchema = z.object({ ZipFile: zipSchema, Publish: z.boolean().optional() });
const publishSchema = z.object({ Description: z.string().optional() });
const routingSchema = z
  .object({ AdditionalVersionWeights: z.record(z.string(), z.number()).optional() })
  .optional();
const aliasSchema = z.object({
  Name: z.string().optional(),
  FunctionVersion: z.string().optional(),
  Description: z.string().optional(),
  RoutingConfig: routingSchema,
});
const permissionSchema = z.object({
  StatementId: z.string(),
  Action: z.string(),
  Principal: z.string(),
});

function versionRef(v: string, field: string): VersionRef {
  if (v === "$LATEST") return "$LATEST";
  if (/^\d+$/.test(v)) return Number(v);
  throw new HearthError("INVALID_INPUT", `"${v}" is not a version number or $LATEST`, field);
}

function split(routing: z.infer<typeof routingSchema>): { additionalVersion: number; weight: number } | null {
  const entries = Object.entries(routing?.AdditionalVersionWeights ?? {});
  if (entries.length === 0) return null;
  if (entries.length > 1)
    throw new HearthError("INVALID_INPUT", "only one additional version is supported", "RoutingConfig");
  const [version, weight] = entries[0]!;
  return { additionalVersion: Number(versionRef(version, "RoutingConfig")), weight };
}

/** Lambda's FunctionConfiguration of a task at $LATEST or at a version. */
function configuration(state: HearthState, task: Task, c: LambdaCaller, v?: TaskVersion) {
  const account = state.profiles.find((p) => p.id === task.profileId)!.accountId;
  const cfg = v ? v.config : task.latest.config;
  const code = v ? v.code : task.latest.code;
  const version = v ? String(v.version) : "$LATEST";
  const arn = `arn:aws:lambda:${c.region}:${account}:function:${task.name}`;
  return {
    FunctionName: task.name,
    FunctionArn: v ? `${arn}:${version}` : arn,
    Runtime: lambdaRuntimeId(cfg.runtime),
    Role: `arn:aws:iam::${account}:role/hearth`,
    Handler: cfg.handler,
    CodeSize: code.size,
    Description: v ? v.description : task.description,
    Timeout: cfg.timeoutS,
    MemorySize: cfg.memoryMb,
    LastModified: (v ? v.createdAt : task.latest.updatedAt).replace("Z", "+0000"),
    CodeSha256: Buffer.from(code.sha256, "hex").toString("base64"),
    Version: version,
    Environment: { Variables: cfg.environment },
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: ["x86_64"],
  };
}

function ownTask(state: HearthState, c: LambdaCaller, name: string): Task {
  const ref = parseFunctionName(name);
  const task = state.tasks.find((t) => t.profileId === c.profileId && t.name === ref.task);
  if (!task || (ref.ownerAccountId && ref.ownerAccountId !== c.accountId)) {
    throw new HearthError("TASK_NOT_FOUND", `Function not found: ${name}`, "FunctionName");
  }
  return task;
}

export function registerLambdaFunctions(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  void server.register(async (scope) => {
    // SigV4 signs the bytes as sent: keep them beside the parsed JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_MANAGEMENT_BODY_BYTES },
      (req, body, done) => {
        (req as FastifyRequest & { rawBody?: Buffer }).rawBody = body as Buffer;
        const text = (body as Buffer).toString("utf8");
        try {
          done(null, text.trim() === "" ? {} : JSON.parse(text));
        } catch {
          done(new HearthError("INVALID_INPUT", "the request body is not valid JSON", "body"), undefined);
        }
      },
    );
    // Before the body is read: an unsigned request never gets to send megabytes.
    scope.addHook("onRequest", async (req, reply) => {
      try {
        lambdaHeadersCheck(req, app.store, failures);
      } catch (err) {
        return sendLambdaError(reply, err);
      }
    });
    scope.setErrorHandler((err, _req, reply) => sendLambdaError(reply, err));
    const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: app.store.secrets });
    const authed =
      (fn: (c: LambdaCaller, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
      async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const c = await lambdaCaller(req, rawBody(req), app.store, failures);
          return await fn(c, req, reply);
        } catch (err) {
          return sendLambdaError(reply, err);
        }
      };
    const docs = app.store.documents;

    scope.post(
      "/2015-03-31/functions",
      authed(async (c, req, reply) => {
        const b = parseInput(createSchema, req.body);
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
        await docs.update((s) => createTask(s, c.profileId, { ...imported.manifest, code }, ctx()));
        app.pool.ensure(c.profileId);
        let version: TaskVersion | undefined;
        if (b.Publish) {
          const p = await docs.update((s) => publishVersion(s, c.profileId, { task: b.FunctionName }, ctx()));
          version = ownTask(docs.state, c, b.FunctionName).versions.find(
            (v) => v.version === p.version.version,
          );
        }
        return reply
          .code(201)
          .send(configuration(docs.state, ownTask(docs.state, c, b.FunctionName), c, version));
      }),
    );

    scope.put(
      "/2015-03-31/functions/:name/code",
      authed(async (c, req, reply) => {
        const b = parseInput(updateCodeSchema, req.body);
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
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
          version = ownTask(docs.state, c, task.name).versions.find((v) => v.version === p.version.version);
        }
        return reply.send(configuration(docs.state, ownTask(docs.state, c, task.name), c, version));
      }),
    );

    scope.get(
      "/2015-03-31/functions/:name",
      authed(async (c, req, reply) => {
        // Only the owner's functions are visible here; a shared task is reached through an alias, never by its code.
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
        return reply.send({
          Configuration: configuration(docs.state, task, c),
          Code: { RepositoryType: "Hearth" },
        });
      }),
    );

    const listFunctions = authed(async (c, _req, reply) => {
      const own = listTaskViews(docs.state, c.profileId).filter((v) => v.access === "owner");
      const tasks = own.map((v) => docs.state.tasks.find((t) => t.id === v.id)!);
      return reply.send({ Functions: tasks.map((t) => configuration(docs.state, t, c)) });
    });
    // The SDKs ask without the trailing slash, the awscli with it.
    scope.get("/2015-03-31/functions", listFunctions);
    scope.get("/2015-03-31/functions/", listFunctions);

    scope.post(
      "/2015-03-31/functions/:name/versions",
      authed(async (c, req, reply) => {
        const b = parseInput(publishSchema, req.body);
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
        const p = await docs.update((s) =>
          publishVersion(
            s,
            c.profileId,
            { task: task.name, ...(b.Description !== undefined ? { description: b.Description } : {}) },
            ctx(),
          ),
        );
        const fresh = ownTask(docs.state, c, task.name);
        const v = fresh.versions.find((x) => x.version === p.version.version)!;
        return reply.code(201).send(configuration(docs.state, fresh, c, v));
      }),
    );

    const aliasAnswer = (c: LambdaCaller, task: Task, name: string) => {
      const alias = docs.state.aliases.find(
        (a) => a.profileId === c.profileId && a.taskId === task.id && a.name === name,
      )!;
      const extra = alias.routing.split;
      return {
        AliasArn: `arn:aws:lambda:${c.region}:${c.accountId}:function:${task.name}:${alias.name}`,
        Name: alias.name,
        FunctionVersion: String(alias.routing.version),
        Description: alias.description,
        ...(extra
          ? {
              RoutingConfig: {
                AdditionalVersionWeights: { [String(extra.additionalVersion)]: extra.weight },
              },
            }
          : {}),
      };
    };

    scope.post(
      "/2015-03-31/functions/:name/aliases",
      authed(async (c, req, reply) => {
        const b = parseInput(aliasSchema, req.body);
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
        if (!b.Name) throw new HearthError("INVALID_INPUT", "Name is required", "Name");
        if (!b.FunctionVersion)
          throw new HearthError("INVALID_INPUT", "FunctionVersion is required", "FunctionVersion");
        await docs.update((s) =>
          createAlias(
            s,
            c.profileId,
            {
              task: task.name,
              name: b.Name!,
              version: versionRef(b.FunctionVersion!, "FunctionVersion"),
              split: split(b.RoutingConfig),
              ...(b.Description !== undefined ? { description: b.Description } : {}),
            },
            ctx(),
          ),
        );
        return reply.code(201).send(aliasAnswer(c, task, b.Name));
      }),
    );

    scope.put(
      "/2015-03-31/functions/:name/aliases/:alias",
      authed(async (c, req, reply) => {
        const b = parseInput(aliasSchema, req.body);
        const { name, alias: aliasName } = req.params as { name: string; alias: string };
        const task = ownTask(docs.state, c, name);
        const alias = docs.state.aliases.find(
          (a) => a.profileId === c.profileId && a.taskId === task.id && a.name === aliasName,
        );
        if (!alias) throw new HearthError("ALIAS_NOT_FOUND", `Alias not found: ${aliasName}`, "Name");
        await docs.update((s) =>
          updateAlias(
            s,
            c.profileId,
            {
              aliasId: alias.id,
              ...(b.FunctionVersion !== undefined
                ? { version: versionRef(b.FunctionVersion, "FunctionVersion") }
                : {}),
              ...(b.RoutingConfig !== undefined ? { split: split(b.RoutingConfig) } : {}),
              ...(b.Description !== undefined ? { description: b.Description } : {}),
            },
            ctx(),
          ),
        );
        return reply.send(aliasAnswer(c, task, aliasName));
      }),
    );

    scope.post(
      "/2015-03-31/functions/:name/policy",
      authed(async (c, req, reply) => {
        const b = parseInput(permissionSchema, req.body);
        if (b.Action !== "lambda:InvokeFunction" && b.Action !== "lambda:*") {
          throw new HearthError("INVALID_INPUT", "only lambda:InvokeFunction can be granted", "Action");
        }
        const account = /^(?:arn:aws:iam::)?(\d{12})(?::root)?$/.exec(b.Principal)?.[1];
        if (!account)
          throw new HearthError(
            "INVALID_INPUT",
            "Principal must be another profile's 12-digit account id",
            "Principal",
          );
        const grantee = docs.state.profiles.find((p) => p.accountId === account);
        if (!grantee)
          throw new HearthError("PROFILE_NOT_FOUND", `no profile has account ${account}`, "Principal");
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
        await docs.update((s) =>
          createGrant(s, c.profileId, { task: task.name, granteeProfileId: grantee.id }, ctx()),
        );
        const statement = {
          Sid: b.StatementId,
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: "lambda:InvokeFunction",
          Resource: configuration(docs.state, task, c).FunctionArn,
        };
        return reply.code(201).send({ Statement: JSON.stringify(statement) });
      }),
    );
  });
}
