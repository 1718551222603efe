// Lambda's asynchronous-invocation settings on the local port: Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s)
// (retries, maximum event age, OnSuccess/OnFailure destinations), as the AWS SDKs and CLI call them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { HearthError } from "../../domain/model/errors.ts";
import type { EventInvokeConfig, Task } from "../../domain/model/state.ts";
import {
  deleteEventInvokeConfig,
  eventInvokeConfigOf,
  putEventInvokeConfig,
} from "../../domain/tasks/event-invoke-config.ts";
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
} from "./lambda-scope.ts";

const destination = z.strictObject({ Destination: z.string().optional() }).optional();
const configSchema = z.strictObject({
  MaximumRetryAttempts: z.number().optional(),
  MaximumEventAgeInSeconds: z.number().optional(),
  DestinationConfig: z.strictObject({ OnSuccess: destination, OnFailure: destination }).optional(),
});

/** The domain's field names as Lambda's requests spell them. */
const LAMBDA_FIELDS: Record<string, string> = {
  maximumRetryAttempts: "MaximumRetryAttempts",
  maximumEventAgeSeconds: "MaximumEventAgeInSeconds",
  qualifier: "Qualifier",
};

const URL = "/2019-09-25/functions/:name/event-invoke-config";

export function registerLambdaEventConfig(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  registerLambdaScope(server, app, failures, ({ route, docs, ctx }) => {
    const answer = (c: LambdaCaller, task: Task, e: EventInvokeConfig) => ({
      LastModified: Date.parse(e.updatedAt) / 1000,
      FunctionArn: functionArn(c.region, accountOf(docs.state, task), task.name, e.qualifier ?? "$LATEST"),
      MaximumRetryAttempts: e.maximumRetryAttempts,
      MaximumEventAgeInSeconds: e.maximumEventAgeSeconds,
      DestinationConfig: {
        OnSuccess: e.onSuccess ? { Destination: e.onSuccess } : {},
        OnFailure: e.onFailure ? { Destination: e.onFailure } : {},
      },
    });
    const target = (c: LambdaCaller, req: FastifyRequest) => {
      const { name } = req.params as { name: string };
      const task = ownTask(docs.state, c, name);
      const q = qualifierOf(req, name);
      return { task, qualifier: q === undefined || q === "$LATEST" ? null : q };
    };
    const put = (merge: boolean) => async (c: LambdaCaller, req: FastifyRequest, reply: FastifyReply) => {
      const b = lambdaBody(configSchema, req.body);
      const { task, qualifier } = target(c, req);
      const dest = (d: { Destination?: string } | undefined) =>
        d === undefined
          ? undefined
          : d.Destination === undefined || d.Destination === ""
            ? null
            : d.Destination;
      const onSuccess = dest(b.DestinationConfig?.OnSuccess);
      const onFailure = dest(b.DestinationConfig?.OnFailure);
      const saved = await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          putEventInvokeConfig(
            s,
            c.profileId,
            {
              task: task.name,
              qualifier,
              merge,
              ...(b.MaximumRetryAttempts !== undefined
                ? { maximumRetryAttempts: b.MaximumRetryAttempts }
                : {}),
              ...(b.MaximumEventAgeInSeconds !== undefined
                ? { maximumEventAgeSeconds: b.MaximumEventAgeInSeconds }
                : {}),
              ...(onSuccess !== undefined ? { onSuccess } : {}),
              ...(onFailure !== undefined ? { onFailure } : {}),
            },
            ctx(),
          ),
        ),
      );
      return reply.send(answer(c, task, saved));
    };
    route("PUT", URL, put(false));
    route("POST", URL, put(true));
    route("GET", URL, async (c, req, reply) => {
      const { task, qualifier } = target(c, req);
      const e = eventInvokeConfigOf(docs.state, task.id, qualifier);
      if (!e)
        throw new HearthError(
          "EVENT_CONFIG_NOT_FOUND",
          `The function ${task.name} doesn't have an EventInvokeConfig`,
          "FunctionName",
        );
      return reply.send(answer(c, task, e));
    });
    route("DELETE", URL, async (c, req, reply) => {
      const { task, qualifier } = target(c, req);
      await docs.update((s) => deleteEventInvokeConfig(s, c.profileId, { task: task.name, qualifier }));
      return reply.code(204).send();
    });
    route("GET", `${URL}/list`, async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      const all = docs.state.eventInvokeConfigs.filter((e) => e.taskId === task.id);
      return reply.send({ FunctionEventInvokeConfigs: all.map((e) => answer(c, task, e)) });
    });
  });
}
