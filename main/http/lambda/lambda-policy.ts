// Lambda's resource policy, tags and reserved concurrency on the local port: AddPermission, RemovePermission,
// GetPolicy, TagResource, UntagResource, ListTags, PutFunctionConcurrency, GetFunctionConcurrency and
// DeleteFunctionConcurrency, as the AWS SDKs and CLI call them.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { addPermission, policyStatements, removePermission } from "../../domain/access/function-policy.ts";
import { HearthError } from "../../domain/model/errors.ts";
import type { PolicyStatement, Task } from "../../domain/model/state.ts";
import { setReservedConcurrency, tagTask, untagTask } from "../../domain/tasks/task-settings.ts";
import type { Host } from "../../host.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import type { LambdaCaller } from "./lambda-auth.ts";
import {
  accountOf,
  functionArn,
  inLambdaWords,
  lambdaBody,
  ownTask,
  qualifierOf,
  registerLambdaScope,
  revisionOf,
} from "./lambda-scope.ts";

const permissionSchema = z.strictObject({
  StatementId: z.string({ error: "is required" }),
  Action: z.string({ error: "is required" }),
  Principal: z.string({ error: "is required" }),
  FunctionUrlAuthType: z.string().optional(),
  InvokedViaFunctionUrl: z.boolean().optional(),
  RevisionId: z.string().optional(),
});
const tagSchema = z.strictObject({ Tags: z.record(z.string(), z.string()) });
const concurrencySchema = z.strictObject({ ReservedConcurrentExecutions: z.number() });

/** The domain's field names as Lambda's requests spell them, for the errors a Lambda client reads. */
const LAMBDA_FIELDS: Record<string, string> = {
  sid: "StatementId",
  qualifier: "Qualifier",
  principal: "Principal",
  action: "Action",
  urlAuthType: "FunctionUrlAuthType",
  invokedViaFunctionUrl: "InvokedViaFunctionUrl",
  tags: "Tags",
  keys: "TagKeys",
  reserved: "ReservedConcurrentExecutions",
};

/** A policy statement as Lambda writes it in GetPolicy and AddPermission's answer. */
function statementJson(region: string, account: string, task: Task, p: PolicyStatement) {
  const condition =
    p.urlAuthType === undefined
      ? undefined
      : p.action === "lambda:InvokeFunctionUrl"
        ? { StringEquals: { "lambda:FunctionUrlAuthType": p.urlAuthType } }
        : { Bool: { "lambda:InvokedViaFunctionUrl": "true" } };
  return {
    Sid: p.sid,
    Effect: "Allow",
    Principal: p.principalAccountId === "*" ? "*" : { AWS: `arn:aws:iam::${p.principalAccountId}:root` },
    Action: p.action,
    Resource: functionArn(region, account, task.name, p.qualifier),
    ...(condition ? { Condition: condition } : {}),
  };
}

function policyRevision(statements: PolicyStatement[]): string {
  return revisionOf(statements);
}

/** The policy's qualifier: none (the function) or a version or alias; `$LATEST` is the function's own. */
function policyQualifier(req: FastifyRequest, name: string): string | null {
  const q = qualifierOf(req, name);
  return q === undefined ? null : q;
}

export function registerLambdaPolicy(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  registerLambdaScope(server, app, failures, ({ route, docs, ctx }) => {
    /** The function a tags request names by its ARN (its account must be the caller's). */
    const taggedTask = (c: LambdaCaller, req: FastifyRequest): Task => {
      const arn = (req.params as { arn: string }).arn;
      return ownTask(docs.state, c, arn);
    };

    route("POST", "/2015-03-31/functions/:name/policy", async (c, req, reply) => {
      const b = lambdaBody(permissionSchema, req.body);
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      const qualifier = policyQualifier(req, name);
      if (
        b.RevisionId !== undefined &&
        b.RevisionId !== policyRevision(policyStatements(docs.state, task.id, qualifier))
      ) {
        throw new HearthError(
          "REVISION_MISMATCH",
          "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id",
          "RevisionId",
        );
      }
      const statement = await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          addPermission(
            s,
            c.profileId,
            {
              task: task.name,
              qualifier,
              sid: b.StatementId,
              action: b.Action,
              principal: b.Principal,
              ...(b.FunctionUrlAuthType !== undefined
                ? { urlAuthType: b.FunctionUrlAuthType as "NONE" | "AWS_IAM" }
                : {}),
              ...(b.InvokedViaFunctionUrl !== undefined
                ? { invokedViaFunctionUrl: b.InvokedViaFunctionUrl }
                : {}),
            },
            ctx(),
          ),
        ),
      );
      return reply
        .code(201)
        .send({ Statement: JSON.stringify(statementJson(c.region, c.accountId, task, statement)) });
    });

    route("DELETE", "/2015-03-31/functions/:name/policy/:sid", async (c, req, reply) => {
      const { name, sid } = req.params as { name: string; sid: string };
      const task = ownTask(docs.state, c, name);
      const qualifier = policyQualifier(req, name);
      const given = (req.query as { RevisionId?: string }).RevisionId;
      if (given !== undefined && given !== policyRevision(policyStatements(docs.state, task.id, qualifier))) {
        throw new HearthError(
          "REVISION_MISMATCH",
          "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id",
          "RevisionId",
        );
      }
      await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          removePermission(s, c.profileId, { task: task.name, qualifier, sid }),
        ),
      );
      return reply.code(204).send();
    });

    route("GET", "/2015-03-31/functions/:name/policy", async (c, req, reply) => {
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      const qualifier = policyQualifier(req, name);
      const statements = policyStatements(docs.state, task.id, qualifier);
      if (statements.length === 0)
        throw new HearthError(
          "POLICY_NOT_FOUND",
          "The resource you requested does not exist.",
          "FunctionName",
        );
      const account = accountOf(docs.state, task);
      return reply.send({
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Id: "default",
          Statement: statements.map((p) => statementJson(c.region, account, task, p)),
        }),
        RevisionId: policyRevision(statements),
      });
    });

    const tagsUrl = "/2017-03-31/tags/:arn";
    route("POST", tagsUrl, async (c, req, reply) => {
      const b = lambdaBody(tagSchema, req.body);
      const task = taggedTask(c, req);
      await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () => tagTask(s, c.profileId, { task: task.name, tags: b.Tags })),
      );
      return reply.code(204).send();
    });
    route("DELETE", tagsUrl, async (c, req, reply) => {
      const task = taggedTask(c, req);
      const raw = (req.query as { tagKeys?: string | string[] }).tagKeys;
      const keys = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      if (keys.length === 0) throw new HearthError("INVALID_INPUT", "TagKeys must name a tag", "TagKeys");
      await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () => untagTask(s, c.profileId, { task: task.name, keys })),
      );
      return reply.code(204).send();
    });
    route("GET", tagsUrl, async (c, req, reply) => {
      return reply.send({ Tags: taggedTask(c, req).tags ?? {} });
    });

    route("PUT", "/2017-10-31/functions/:name/concurrency", async (c, req, reply) => {
      const b = lambdaBody(concurrencySchema, req.body);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          setReservedConcurrency(s, c.profileId, {
            task: task.name,
            reserved: b.ReservedConcurrentExecutions,
          }),
        ),
      );
      return reply.send({ ReservedConcurrentExecutions: b.ReservedConcurrentExecutions });
    });
    route("GET", "/2019-09-30/functions/:name/concurrency", async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      return reply.send(
        task.reservedConcurrency === undefined
          ? {}
          : { ReservedConcurrentExecutions: task.reservedConcurrency },
      );
    });
    route("DELETE", "/2017-10-31/functions/:name/concurrency", async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      await docs.update((s) => setReservedConcurrency(s, c.profileId, { task: task.name, reserved: null }));
      return reply.code(204).send();
    });
  });
}
