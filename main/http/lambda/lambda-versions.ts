// Lambda's versions and aliases on the local port: PublishVersion, ListVersionsByFunction, and CreateAlias,
// UpdateAlias, GetAlias, ListAliases and DeleteAlias (with RoutingConfig), as the AWS SDKs and CLI call them.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createAlias, deleteAlias, updateAlias } from "../../domain/aliases/aliases.ts";
import { HearthError } from "../../domain/model/errors.ts";
import type { Alias, Task } from "../../domain/model/state.ts";
import { publishVersion } from "../../domain/tasks/versions.ts";
import type { Host } from "../../host.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import type { LambdaCaller } from "./lambda-auth.ts";
import {
  accountOf,
  checkRevision,
  configuration,
  functionArn,
  lambdaBody,
  ownTask,
  registerLambdaScope,
  revisionOf,
  versionRef,
} from "./lambda-scope.ts";

const publishSchema = z.strictObject({
  Description: z.string().optional(),
  CodeSha256: z.string().optional(),
  RevisionId: z.string().optional(),
});
const routingSchema = z
  .strictObject({ AdditionalVersionWeights: z.record(z.string(), z.number()).optional() })
  .optional();
const aliasSchema = z.strictObject({
  Name: z.string().optional(),
  FunctionVersion: z.string().optional(),
  Description: z.string().optional(),
  RoutingConfig: routingSchema,
  RevisionId: z.string().optional(),
});

function split(routing: z.infer<typeof routingSchema>): { additionalVersion: number; weight: number } | null {
  const entries = Object.entries(routing?.AdditionalVersionWeights ?? {});
  if (entries.length === 0) return null;
  if (entries.length > 1)
    throw new HearthError("INVALID_INPUT", "only one additional version is supported", "RoutingConfig");
  const [version, weight] = entries[0]!;
  return { additionalVersion: Number(versionRef(version, "RoutingConfig")), weight };
}

function aliasRevision(alias: Alias): string {
  return revisionOf({ id: alias.id, routing: alias.routing, d: alias.description, u: alias.updatedAt });
}

export function registerLambdaVersions(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  registerLambdaScope(server, app, failures, ({ route, docs, ctx, updateStatus }) => {
    /** The owner's own alias on its task (cross-profile aliases are Hearth's, reached through the native API). */
    const ownAlias = (task: Task, name: string): Alias => {
      const alias = docs.state.aliases.find(
        (a) =>
          a.profileId === task.profileId && a.taskId === task.id && a.name === name && a.grantId === null,
      );
      if (!alias) throw new HearthError("ALIAS_NOT_FOUND", `Alias not found: ${task.name}:${name}`, "Name");
      return alias;
    };
    const aliasAnswer = (c: LambdaCaller, task: Task, alias: Alias) => {
      const extra = alias.routing.split;
      return {
        AliasArn: functionArn(c.region, accountOf(docs.state, task), task.name, alias.name),
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
        RevisionId: aliasRevision(alias),
      };
    };

    route("POST", "/2015-03-31/functions/:name/versions", async (c, req, reply) => {
      const b = lambdaBody(publishSchema, req.body);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      checkRevision(task, b.RevisionId);
      if (
        b.CodeSha256 !== undefined &&
        b.CodeSha256 !== Buffer.from(task.latest.code.sha256, "hex").toString("base64")
      )
        throw new HearthError(
          "INVALID_INPUT",
          "CodeSha256 does not match the code of $LATEST; it changed since you read it",
          "CodeSha256",
        );
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
    });

    route("GET", "/2015-03-31/functions/:name/versions", async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      return reply.send({
        Versions: [
          configuration(docs.state, task, c, undefined, updateStatus(task)),
          ...task.versions.map((v) => configuration(docs.state, task, c, v)),
        ],
      });
    });

    route("POST", "/2015-03-31/functions/:name/aliases", async (c, req, reply) => {
      const b = lambdaBody(aliasSchema, req.body);
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
      return reply.code(201).send(aliasAnswer(c, task, ownAlias(task, b.Name)));
    });

    route("PUT", "/2015-03-31/functions/:name/aliases/:alias", async (c, req, reply) => {
      const b = lambdaBody(aliasSchema, req.body);
      const { name, alias: aliasName } = req.params as { name: string; alias: string };
      const task = ownTask(docs.state, c, name);
      const alias = ownAlias(task, aliasName);
      if (b.RevisionId !== undefined && b.RevisionId !== aliasRevision(alias)) {
        throw new HearthError(
          "REVISION_MISMATCH",
          "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id",
          "RevisionId",
        );
      }
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
      return reply.send(aliasAnswer(c, task, ownAlias(task, aliasName)));
    });

    route("GET", "/2015-03-31/functions/:name/aliases/:alias", async (c, req, reply) => {
      const { name, alias } = req.params as { name: string; alias: string };
      const task = ownTask(docs.state, c, name);
      return reply.send(aliasAnswer(c, task, ownAlias(task, alias)));
    });

    route(
      "GET",
      ["/2015-03-31/functions/:name/aliases", "/2015-03-31/functions/:name/aliases/"],
      async (c, req, reply) => {
        const task = ownTask(docs.state, c, (req.params as { name: string }).name);
        const wanted = (req.query as { FunctionVersion?: string }).FunctionVersion;
        const aliases = docs.state.aliases.filter(
          (a) =>
            a.profileId === task.profileId &&
            a.taskId === task.id &&
            a.grantId === null &&
            (wanted === undefined ||
              String(a.routing.version) === wanted ||
              String(a.routing.split?.additionalVersion) === wanted),
        );
        return reply.send({ Aliases: aliases.map((a) => aliasAnswer(c, task, a)) });
      },
    );

    route("DELETE", "/2015-03-31/functions/:name/aliases/:alias", async (c, req, reply) => {
      const { name, alias } = req.params as { name: string; alias: string };
      const task = ownTask(docs.state, c, name);
      const found = ownAlias(task, alias);
      await docs.update((s) => deleteAlias(s, c.profileId, { aliasId: found.id }));
      return reply.code(204).send();
    });
  });
}
