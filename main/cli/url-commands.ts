// `hearth url`: a task's function URLs (Lambda's CreateFunctionUrlConfig and friends): given, changed, listed and
// removed, each printed with the address it answers at on this machine's port.
import type { Command } from "commander";
import type { FunctionSettingsView, FunctionUrlView } from "../contract.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, type Connection } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { print, table } from "./output.ts";

interface SetFlags {
  json?: boolean;
  auth?: string;
  stream?: boolean;
  buffered?: boolean;
  allowOrigin?: string[];
  noCors?: boolean;
}

const AUTH: Record<string, "NONE" | "AWS_IAM"> = { none: "NONE", iam: "AWS_IAM", aws_iam: "AWS_IAM" };

/** `task` or `task:alias`. */
function target(spec: string): { task: string; qualifier?: string } {
  const colon = spec.indexOf(":");
  return colon < 0 ? { task: spec } : { task: spec.slice(0, colon), qualifier: spec.slice(colon + 1) };
}

function address(conn: Connection, u: FunctionUrlView): string {
  return `${conn.url.replace(/\/$/, "")}${u.path}`;
}

function urlOf(view: FunctionSettingsView, qualifier: string | undefined): FunctionUrlView | undefined {
  const q = qualifier === undefined || qualifier === "$LATEST" ? null : qualifier;
  return view.urls.find((u) => u.qualifier === q);
}

function urlLines(conn: Connection, view: FunctionSettingsView): string {
  if (view.urls.length === 0)
    return `${view.task} has no function URL (hearth url set ${view.task} --auth iam)`;
  return table(
    ["target", "url", "auth", "mode", "cors origins"],
    view.urls.map((u) => [
      `${view.task}${u.qualifier ? `:${u.qualifier}` : ""}`,
      address(conn, u),
      u.authType,
      u.invokeMode,
      u.cors ? u.cors.allowOrigins.join(",") : "",
    ]),
  );
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerUrlCommands(program: Command): void {
  const url = program
    .command("url")
    .description("function URLs: a task (or alias) answering plain HTTP at /lambda-url/<id>/ on this port");
  withJson(
    url
      .command("set <task[:alias]>")
      .description("give the task (or alias) a function URL, or change the one it has")
      .option(
        "--auth <type>",
        "none (whoever reaches the port) or iam (SigV4 by a profile's key); new URLs: iam",
      )
      .option("--stream", "stream responses (handlers written with awslambda.streamifyResponse)")
      .option("--buffered", "answer once the handler is done (the default)")
      .option("--allow-origin <origin>", "a page origin that may call it (CORS); repeat for more", collect)
      .option("--no-cors", "remove the CORS origins"),
  ).action(async (spec: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<SetFlags & { cors?: boolean }>(cmd);
    if (o.stream && o.buffered) {
      throw new CliError("INVALID_INPUT", "give --stream or --buffered, not both", EXIT.usage, {
        field: "--stream",
      });
    }
    let authType: "NONE" | "AWS_IAM" | undefined;
    if (o.auth !== undefined) {
      authType = Object.hasOwn(AUTH, o.auth.toLowerCase()) ? AUTH[o.auth.toLowerCase()] : undefined;
      if (!authType) {
        throw new CliError("INVALID_INPUT", `--auth must be none or iam, not "${o.auth}"`, EXIT.usage, {
          field: "--auth",
        });
      }
    }
    const t = target(spec);
    const conn = await connect(o, "profile");
    const view = await conn.call("putFunctionUrl", {
      ...t,
      ...(authType !== undefined ? { authType } : {}),
      ...(o.stream ? { invokeMode: "RESPONSE_STREAM" as const } : {}),
      ...(o.buffered ? { invokeMode: "BUFFERED" as const } : {}),
      ...(o.allowOrigin !== undefined ? { allowOrigins: o.allowOrigin } : {}),
      ...(o.cors === false ? { allowOrigins: null } : {}),
    });
    const u = urlOf(view, t.qualifier)!;
    print(o.json, { ...u, url: address(conn, u) }, () =>
      [
        address(conn, u),
        u.authType === "NONE"
          ? `auth NONE: whoever reaches this port may call it (curl ${address(conn, u)})`
          : "auth AWS_IAM: sign requests with a profile's key (aws sigv4, service lambda)",
      ].join("\n"),
    );
  });
  withJson(url.command("show <task>").description("the task's function URLs")).action(
    async (task: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "profile");
      const view = await conn.call("getFunctionSettings", { task });
      print(
        o.json,
        view.urls.map((u) => ({ ...u, url: address(conn, u) })),
        () => urlLines(conn, view),
      );
    },
  );
  withJson(
    url.command("rm <task[:alias]>").description("remove the task's (or alias's) function URL"),
  ).action(async (spec: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await connect(o, "profile");
    const t = target(spec);
    const view = await conn.call("deleteFunctionUrl", t);
    print(o.json, view.urls, () => `removed the function URL of ${spec}`);
  });
}
