// Lambda's function URL configuration on the local port: CreateFunctionUrlConfig, GetFunctionUrlConfig,
// UpdateFunctionUrlConfig, DeleteFunctionUrlConfig and ListFunctionUrlConfigs, as the AWS SDKs and CLI call them.
// The URL itself answers at /lambda-url/{urlId}/ on this port (main/http/apis/function-url-gateway.ts).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { HearthError } from "../../domain/model/errors.ts";
import type { FunctionUrlConfig, FunctionUrlCors, HearthState, Task } from "../../domain/model/state.ts";
import {
  createFunctionUrl,
  deleteFunctionUrl,
  functionUrlPath,
  functionUrlsOfTask,
  findFunctionUrl,
  updateFunctionUrl,
} from "../../domain/tasks/function-urls.ts";
import type { Host } from "../../host.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import type { LambdaCaller } from "./lambda-auth.ts";
import {
  accountOf,
  functionArn,
  inLambdaWords,
  lambdaBody,
  ownTask,
  registerLambdaScope,
} from "./lambda-scope.ts";

const corsSchema = z.strictObject({
  AllowCredentials: z.boolean().optional(),
  AllowHeaders: z.array(z.string()).optional(),
  AllowMethods: z.array(z.string()).optional(),
  AllowOrigins: z.array(z.string()).optional(),
  ExposeHeaders: z.array(z.string()).optional(),
  MaxAge: z.number().optional(),
});

const createSchema = z.strictObject({
  AuthType: z.string({ error: "is required" }),
  Cors: corsSchema.optional(),
  InvokeMode: z.string().optional(),
});

const updateSchema = z.strictObject({
  AuthType: z.string().optional(),
  Cors: corsSchema.optional(),
  InvokeMode: z.string().optional(),
});

/** The domain's field names as Lambda's requests spell them. */
const LAMBDA_FIELDS: Record<string, string> = {
  qualifier: "Qualifier",
  authType: "AuthType",
  invokeMode: "InvokeMode",
  cors: "Cors",
};

type LambdaCors = z.output<typeof corsSchema>;

function corsInput(c: LambdaCors) {
  return {
    ...(c.AllowCredentials !== undefined ? { allowCredentials: c.AllowCredentials } : {}),
    ...(c.AllowHeaders !== undefined ? { allowHeaders: c.AllowHeaders } : {}),
    ...(c.AllowMethods !== undefined ? { allowMethods: c.AllowMethods } : {}),
    ...(c.AllowOrigins !== undefined ? { allowOrigins: c.AllowOrigins } : {}),
    ...(c.ExposeHeaders !== undefined ? { exposeHeaders: c.ExposeHeaders } : {}),
    ...(c.MaxAge !== undefined ? { maxAge: c.MaxAge } : {}),
  };
}

function corsJson(c: FunctionUrlCors) {
  return {
    AllowCredentials: c.allowCredentials,
    AllowHeaders: c.allowHeaders,
    AllowMethods: c.allowMethods,
    AllowOrigins: c.allowOrigins,
    ExposeHeaders: c.exposeHeaders,
    MaxAge: c.maxAge,
  };
}

/** Lambda's time format in these answers: ISO 8601 with milliseconds. */
const lambdaTime = (iso: string) => iso;

/** The URL's answer, with the address a client of this port reaches it at. */
function urlJson(state: HearthState, req: FastifyRequest, c: LambdaCaller, task: Task, u: FunctionUrlConfig) {
  return {
    FunctionUrl: `${req.protocol}://${req.headers.host ?? "127.0.0.1"}${functionUrlPath(u)}`,
    FunctionArn: functionArn(c.region, accountOf(state, task), task.name, u.qualifier),
    AuthType: u.authType,
    ...(u.cors ? { Cors: corsJson(u.cors) } : {}),
    CreationTime: lambdaTime(u.createdAt),
    LastModifiedTime: lambdaTime(u.updatedAt),
    InvokeMode: u.invokeMode,
  };
}

/** The Qualifier a URL request names: an alias, `$LATEST`, or none (the unqualified function). */
function urlQualifier(req: FastifyRequest): string | null {
  const q = (req.query as { Qualifier?: string }).Qualifier;
  return q === undefined || q === "" ? null : q;
}

export function registerLambdaUrls(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  registerLambdaScope(server, app, failures, ({ route, docs, ctx }) => {
    const url = "/2021-10-31/functions/:name/url";

    route("POST", url, async (c, req, reply) => {
      const b = lambdaBody(createSchema, req.body);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      const created = await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          createFunctionUrl(
            s,
            c.profileId,
            {
              task: task.name,
              qualifier: urlQualifier(req),
              authType: b.AuthType as "NONE",
              ...(b.InvokeMode !== undefined ? { invokeMode: b.InvokeMode as "BUFFERED" } : {}),
              ...(b.Cors !== undefined ? { cors: corsInput(b.Cors) } : {}),
            },
            ctx(),
          ),
        ),
      );
      const { LastModifiedTime: _omit, ...answer } = urlJson(docs.state, req, c, task, created);
      return reply.code(201).send(answer);
    });

    route("GET", url, async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      const qualifier = urlQualifier(req);
      const found = findFunctionUrl(docs.state, task.id, qualifier === "$LATEST" ? null : qualifier);
      if (!found) {
        throw new HearthError(
          "FUNCTION_URL_NOT_FOUND",
          "The resource you requested does not exist.",
          "FunctionName",
        );
      }
      return reply.send(urlJson(docs.state, req, c, task, found));
    });

    route("PUT", url, async (c, req, reply) => {
      const b = lambdaBody(updateSchema, req.body);
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      const updated = await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          updateFunctionUrl(
            s,
            c.profileId,
            {
              task: task.name,
              qualifier: urlQualifier(req),
              ...(b.AuthType !== undefined ? { authType: b.AuthType as "NONE" } : {}),
              ...(b.InvokeMode !== undefined ? { invokeMode: b.InvokeMode as "BUFFERED" } : {}),
              ...(b.Cors !== undefined ? { cors: corsInput(b.Cors) } : {}),
            },
            ctx(),
          ),
        ),
      );
      return reply.send(urlJson(docs.state, req, c, task, updated));
    });

    route("DELETE", url, async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      await docs.update((s) =>
        inLambdaWords(LAMBDA_FIELDS, () =>
          deleteFunctionUrl(s, c.profileId, { task: task.name, qualifier: urlQualifier(req) }),
        ),
      );
      return reply.code(204).send();
    });

    route("GET", "/2021-10-31/functions/:name/urls", async (c, req, reply) => {
      const task = ownTask(docs.state, c, (req.params as { name: string }).name);
      const q = req.query as { Marker?: string; MaxItems?: string };
      const max = q.MaxItems === undefined ? 50 : Number(q.MaxItems);
      if (!Number.isInteger(max) || max < 1 || max > 50) {
        throw new HearthError("INVALID_INPUT", "MaxItems must be a whole number from 1 to 50", "MaxItems");
      }
      const all = functionUrlsOfTask(docs.state, task.id);
      const start =
        q.Marker === undefined
          ? 0
          : Math.max(
              0,
              all.findIndex((u) => u.urlId === q.Marker),
            );
      const page = all.slice(start, start + max);
      const next = all[start + max];
      return reply.send({
        FunctionUrlConfigs: page.map((u) => urlJson(docs.state, req, c, task, u)),
        ...(next ? { NextMarker: next.urlId } : {}),
      });
    });
  });
}
