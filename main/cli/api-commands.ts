// `hearth api`: a profile's APIs built from tasks: listed with their routes and authorizers, made and removed, a
// route bound to a task (and to an authorizer, with scopes), and JWT or REQUEST authorizers added and removed.
import { InvalidArgumentError, type Command } from "commander";
import type { ApiAuthorizerView, ApiView } from "../contract.ts";
import { collectList, integerParser, parseAccountId } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, type Connection } from "./connection.ts";
import { CliError, EXIT, usageError } from "./exit-codes.ts";
import { print } from "./output.ts";

type Target = { task: string; qualifier?: string; ownerAccountId?: string };
type RouteInput = ApiView["routes"][number];

function targetText(t: Target): string {
  return `${t.ownerAccountId ? `${t.ownerAccountId}:` : ""}${t.task}${t.qualifier ? `:${t.qualifier}` : ""}`;
}

/** One line that says what an authorizer checks and where its keys or answers come from. */
export function authorizerText(a: ApiAuthorizerView): string {
  const identity = a.identitySource.length > 0 ? a.identitySource.join(", ") : "no identity source";
  if (a.type === "JWT") {
    const keys = a.jwt?.jwksUri ?? a.jwt?.jwksFile ?? "the issuer's OpenID configuration";
    return `JWT  issuer ${a.jwt?.issuer ?? "?"}  audience ${a.jwt?.audience.join(",") ?? "?"}  keys ${keys}  from ${identity}`;
  }
  const ttl = a.resultTtlSeconds ? `cached ${a.resultTtlSeconds}s` : "not cached";
  const answers = a.enableSimpleResponses ? "simple responses" : "IAM policy responses";
  return `REQUEST  task ${a.target ? targetText(a.target) : "?"}  from ${identity}  ${ttl}  ${answers}`;
}

/** An API as a few lines: its access and path, each route with its target and authorizer, each authorizer. */
export function formatApi(api: ApiView): string {
  const names = new Map(api.authorizers.map((a) => [a.id, a.name]));
  const lines = [`${api.name}  ${api.access}  ${api.path}${api.description ? `  ${api.description}` : ""}`];
  if (api.routes.length === 0) lines.push("  no routes (hearth api route set API 'GET /path' --task TASK)");
  for (const r of api.routes) {
    const auth =
      r.authorizerId === undefined
        ? ""
        : `  authorizer ${names.get(r.authorizerId) ?? r.authorizerId}` +
          (r.authorizationScopes?.length ? ` scopes ${r.authorizationScopes.join(" ")}` : "");
    lines.push(`  ${r.routeKey} → ${targetText(r.target)}${auth}`);
  }
  for (const a of api.authorizers) lines.push(`  authorizer ${a.name}  ${authorizerText(a)}`);
  return lines.join("\n");
}

export function formatApiList(apis: ApiView[]): string {
  if (apis.length === 0)
    return "no APIs (hearth api create NAME, then hearth api route set NAME 'GET /' --task TASK)";
  return apis.map(formatApi).join("\n\n");
}

async function findApi(conn: Connection, name: string): Promise<ApiView> {
  const api = (await conn.call("listApis", {})).find((a) => a.name === name);
  if (!api)
    throw new CliError("API_NOT_FOUND", `no API named "${name}" in your profile`, EXIT.refused, {
      hint: "list them with `hearth api ls`",
    });
  return api;
}

/** The authorizers as updateApi takes them back: ids kept, so the routes using them still do. */
function authorizersInput(api: ApiView): ApiAuthorizerView[] {
  return api.authorizers.map((a) => ({ ...a }));
}

/** `--type`: jwt or request, in any case. */
export function parseAuthorizerType(value: string): "JWT" | "REQUEST" {
  const v = value.toUpperCase();
  if (v !== "JWT" && v !== "REQUEST") throw new InvalidArgumentError('expected "jwt" or "request".');
  return v;
}

interface AuthorizerFlags {
  name: string;
  type: "JWT" | "REQUEST";
  identitySource?: string[];
  issuer?: string;
  audience?: string[];
  jwksUri?: string;
  jwksFile?: string;
  task?: string;
  alias?: string;
  owner?: string;
  simpleResponses?: boolean;
  ttl?: number;
}

/**
 * The authorizer the flags describe; flags of the other type are refused here, by their own names, before the
 * host refuses the fields they would set.
 */
export function authorizerFromFlags(o: AuthorizerFlags): Record<string, unknown> {
  const jwtFlags = {
    "--issuer": o.issuer,
    "--audience": o.audience,
    "--jwks-uri": o.jwksUri,
    "--jwks-file": o.jwksFile,
  };
  const requestFlags = {
    "--task": o.task,
    "--alias": o.alias,
    "--owner": o.owner,
    "--simple-responses": o.simpleResponses,
    "--ttl": o.ttl,
  };
  const stray = Object.entries(o.type === "JWT" ? requestFlags : jwtFlags).find(([, v]) => v !== undefined);
  if (stray) throw usageError(`${stray[0]} is not for a ${o.type} authorizer`);
  const identity = o.identitySource !== undefined ? { identitySource: o.identitySource } : {};
  if (o.type === "JWT") {
    if (o.issuer === undefined || o.audience === undefined)
      throw usageError("a JWT authorizer needs --issuer and at least one --audience");
    if (o.jwksUri !== undefined && o.jwksFile !== undefined)
      throw usageError("give the issuer's keys with one of --jwks-uri and --jwks-file, not both");
    return {
      name: o.name,
      type: "JWT",
      ...identity,
      jwt: {
        issuer: o.issuer,
        audience: o.audience,
        ...(o.jwksUri !== undefined ? { jwksUri: o.jwksUri } : {}),
        ...(o.jwksFile !== undefined ? { jwksFile: o.jwksFile } : {}),
      },
    };
  }
  if (o.task === undefined) throw usageError("a REQUEST authorizer needs --task, the task that answers it");
  return {
    name: o.name,
    type: "REQUEST",
    ...identity,
    target: {
      task: o.task,
      ...(o.alias !== undefined ? { qualifier: o.alias } : {}),
      ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
    },
    ...(o.simpleResponses ? { enableSimpleResponses: true } : {}),
    ...(o.ttl !== undefined ? { resultTtlSeconds: o.ttl } : {}),
  };
}

interface RouteFlags {
  task?: string;
  alias?: string;
  owner?: string;
  /** A name; false for --no-authorizer. */
  authorizer?: string | false;
  scope?: string[];
}

/**
 * The API's routes with `routeKey` set as the flags say. A new route needs --task; an existing one keeps what the
 * flags leave out, and keeps its scopes only while it keeps its authorizer.
 */
export function routesWith(api: ApiView, routeKey: string, o: RouteFlags): RouteInput[] {
  const routes = api.routes.map((r) => ({ ...r }));
  const i = routes.findIndex((r) => r.routeKey === routeKey);
  if (i < 0 && o.task === undefined)
    throw usageError(`API ${api.name} has no route "${routeKey}": give --task to add it`);
  if (o.task === undefined && (o.alias !== undefined || o.owner !== undefined))
    throw usageError("--alias and --owner go with --task");
  if (o.authorizer === false && o.scope !== undefined) throw usageError("--scope needs an authorizer");
  const before = i < 0 ? undefined : routes[i]!;
  const target =
    o.task !== undefined
      ? {
          task: o.task,
          ...(o.alias !== undefined ? { qualifier: o.alias } : {}),
          ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
        }
      : before!.target;
  const authorizerId =
    o.authorizer === false ? undefined : o.authorizer !== undefined ? o.authorizer : before?.authorizerId;
  const sameAuthorizer =
    o.authorizer === undefined ||
    (before?.authorizerId !== undefined &&
      api.authorizers.find((a) => a.id === before.authorizerId)?.name === o.authorizer);
  const scopes = o.scope ?? (sameAuthorizer ? before?.authorizationScopes : undefined);
  const route: RouteInput = {
    routeKey,
    target,
    ...(authorizerId !== undefined ? { authorizerId } : {}),
    ...(authorizerId !== undefined && scopes !== undefined && scopes.length > 0
      ? { authorizationScopes: scopes }
      : {}),
  };
  if (i < 0) routes.push(route);
  else routes[i] = route;
  return routes;
}

async function listApis(_o: unknown, cmd: Command): Promise<void> {
  const o = optionsOf(cmd);
  const conn = await connect(o, "profile");
  const apis = await conn.call("listApis", {});
  print(o.json, apis, () => formatApiList(apis));
}

export function registerApiCommands(program: Command): void {
  const api = withJson(
    program
      .command("api")
      .description("APIs built from tasks: routes on the port at /apis/NAME, with JWT or Lambda authorizers"),
  ).action(listApis);
  withJson(api.command("ls").description("your APIs, with their routes and authorizers")).action(listApis);

  withJson(
    api
      .command("create <name>")
      .description("make an API with no routes yet, served at /apis/NAME")
      .option("--public", "anyone who reaches the port may call it (default: bearers of an API token)")
      .option("--description <text>", "what it is for"),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ public?: boolean; description?: string }>(cmd);
    const conn = await connect(o, "profile");
    const made = await conn.call("createApi", {
      name,
      routes: [],
      access: o.public ? "public" : "token",
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    print(o.json, made, () => formatApi(made));
  });

  withJson(api.command("rm <name>").description("remove an API and the tokens minted for it")).action(
    async (name: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "profile");
      const found = await findApi(conn, name);
      const r = await conn.call("deleteApi", { apiId: found.id });
      print(o.json, r, () => `removed API ${name}`);
    },
  );

  const route = api.command("route").description("bind a route to a task and an authorizer, or remove it");
  withJson(
    route
      .command("set <api> <routeKey>")
      .description("add a route ('GET /orders/{id}', 'ANY /{proxy+}', $default) or change one")
      .option("--task <task>", "the task that answers it (needed for a new route)")
      .option("--alias <alias>", "a version or alias of the task")
      .option("--owner <account>", "the task's account, for a task shared with you", parseAccountId)
      .option("--authorizer <name>", "the API's authorizer that checks its requests first")
      .option("--no-authorizer", "check its requests with no authorizer")
      .option(
        "--scope <scope>",
        "a scope the JWT must hold (repeat for alternatives; kept while the authorizer stays)",
        collectList,
      )
      .addHelpText(
        "after",
        "\nExamples:\n  hearth api route set shop 'GET /orders/{id}' --task orders --authorizer cognito --scope orders:read\n" +
          "  hearth api route set shop 'GET /orders/{id}' --no-authorizer",
      ),
  ).action(async (apiName: string, routeKey: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<RouteFlags>(cmd);
    const conn = await connect(o, "profile");
    const found = await findApi(conn, apiName);
    const updated = await conn.call("updateApi", { apiId: found.id, routes: routesWith(found, routeKey, o) });
    print(o.json, updated, () => formatApi(updated));
  });
  withJson(route.command("rm <api> <routeKey>").description("remove a route")).action(
    async (apiName: string, routeKey: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "profile");
      const found = await findApi(conn, apiName);
      if (!found.routes.some((r) => r.routeKey === routeKey))
        throw new CliError("ROUTE_NOT_FOUND", `API ${apiName} has no route "${routeKey}"`, EXIT.refused);
      const updated = await conn.call("updateApi", {
        apiId: found.id,
        routes: found.routes.filter((r) => r.routeKey !== routeKey),
      });
      print(o.json, updated, () => formatApi(updated));
    },
  );

  const authorizer = api
    .command("authorizer")
    .description("JWT and REQUEST (Lambda) authorizers, as API Gateway HTTP APIs have them");
  withJson(
    authorizer
      .command("add <api>")
      .description("add an authorizer to an API; attach it with `hearth api route set … --authorizer NAME`")
      .requiredOption("--name <name>", "its name within the API")
      .requiredOption(
        "--type <type>",
        "jwt (a token checked against an issuer's keys) or request (a task decides)",
        parseAuthorizerType,
      )
      .option(
        "--identity-source <source>",
        "where the identity is read: $request.header.NAME or $request.querystring.NAME (repeatable; JWT: one, " +
          "default $request.header.Authorization)",
        collectList,
      )
      .option("--issuer <iss>", "JWT: the iss tokens must carry")
      .option("--audience <aud>", "JWT: an aud (or client_id) tokens may carry (repeatable)", collectList)
      .option(
        "--jwks-uri <url>",
        "JWT: the issuer's JWKS URL (http or https); without it or --jwks-file, the issuer's OpenID configuration names it",
      )
      .option("--jwks-file <path>", "JWT: an absolute path to a JWKS JSON file")
      .option("--task <task>", "REQUEST: the task that answers")
      .option("--alias <alias>", "REQUEST: a version or alias of that task")
      .option("--owner <account>", "REQUEST: the task's account, for a task shared with you", parseAccountId)
      .option(
        "--simple-responses",
        "REQUEST: the task answers {isAuthorized, context} (default: an IAM policy)",
      )
      .option(
        "--ttl <seconds>",
        "REQUEST: how long an answer is reused per identity, 0-3600 (default 300)",
        integerParser(0, 3600),
      )
      .addHelpText(
        "after",
        "\nExamples:\n" +
          "  hearth api authorizer add shop --name cognito --type jwt --issuer https://issuer.example \\\n" +
          "    --audience shop-client --jwks-uri https://issuer.example/.well-known/jwks.json\n" +
          "  hearth api authorizer add shop --name keys --type request --task check-key \\\n" +
          "    --identity-source '$request.header.X-Api-Key' --simple-responses --ttl 60",
      ),
  ).action(async (apiName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<AuthorizerFlags>(cmd);
    const added = authorizerFromFlags(o);
    const conn = await connect(o, "profile");
    const found = await findApi(conn, apiName);
    const updated = await conn.call("updateApi", {
      apiId: found.id,
      authorizers: [...authorizersInput(found), added],
    });
    print(o.json, updated, () => formatApi(updated));
  });
  withJson(
    authorizer
      .command("rm <api> <name>")
      .description("remove an authorizer no route uses (detach it first: route set … --no-authorizer)"),
  ).action(async (apiName: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await connect(o, "profile");
    const found = await findApi(conn, apiName);
    if (!found.authorizers.some((a) => a.name === name))
      throw new CliError("AUTHORIZER_NOT_FOUND", `API ${apiName} has no authorizer "${name}"`, EXIT.refused);
    const updated = await conn.call("updateApi", {
      apiId: found.id,
      authorizers: authorizersInput(found).filter((a) => a.name !== name),
    });
    print(o.json, updated, () => formatApi(updated));
  });
}
