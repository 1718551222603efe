// Where the CLI finds Hearth and who it says it is: the URL, the credentials, and a client that reports an absent server.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HearthClient, type Credentials } from "../client/http-client.ts";
import type {
  InputOf,
  InvocationEvent,
  LogRecord,
  OperationName,
  OutputOf,
  ProfileView,
} from "../contract.ts";
import { dataDir } from "../paths.ts";
import { readOwnerKey } from "../store/owner-key.ts";
import { openDataDir } from "../store/private-data-dir.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { nodeHttpSend, SILENCE_CODE } from "./node-http-send.ts";

export const DEFAULT_URL = "http://127.0.0.1:7878";
/**
 * The file main/http/server.ts writes (its SERVE_FILE), named again here so that commands which only talk HTTP do
 * not load the server and everything under it (a test holds the two names equal).
 */
export const SERVE_FILE = "serve.json";

/** The options every command that talks to Hearth takes (program-level, so they go anywhere on the line). */
export interface GlobalOptions {
  url?: string;
  profile?: string;
  token?: string;
}

export type Env = Record<string, string | undefined>;

export type UrlSource = "--url" | "HEARTH_URL" | "serve.json" | "default";

export interface ResolvedUrl {
  url: string;
  source: UrlSource;
}

/** The URL a running `hearth serve` wrote into the data directory, when the file is there and readable. */
export async function readServeFile(dir: string): Promise<{ url: string; pid?: number } | null> {
  // Refused, not read, when others can read the data directory: the URL there would lead to the owner key.
  await openDataDir(dir);
  try {
    const parsed = JSON.parse(await readFile(join(dir, SERVE_FILE), "utf8")) as {
      url?: unknown;
      pid?: unknown;
    };
    if (typeof parsed.url !== "string" || !/^https?:\/\//.test(parsed.url)) return null;
    return { url: parsed.url, ...(typeof parsed.pid === "number" ? { pid: parsed.pid } : {}) };
  } catch {
    return null;
  }
}

/** `--url`, else HEARTH_URL, else the running server's serve.json, else the default port on loopback. */
export async function resolveUrl(o: GlobalOptions, env: Env, dir: string): Promise<ResolvedUrl> {
  if (o.url) return { url: checkUrl(o.url, "--url"), source: "--url" };
  if (env.HEARTH_URL) return { url: checkUrl(env.HEARTH_URL, "HEARTH_URL"), source: "HEARTH_URL" };
  const served = await readServeFile(dir);
  if (served) return { url: served.url.replace(/\/+$/, ""), source: "serve.json" };
  return { url: DEFAULT_URL, source: "default" };
}

function checkUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError("USAGE", `${from} "${raw}" is not a URL`, EXIT.usage, {
      hint: `e.g. ${DEFAULT_URL}`,
    });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new CliError("USAGE", `${from} "${raw}" must be an http:// or https:// URL`, EXIT.usage);
  }
  return raw.replace(/\/+$/, "");
}

/**
 * What a command needs to say who it is:
 * - `owner`: the owner key alone (creating and removing profiles);
 * - `any`: any credentials; the owner key then acts for every profile unless one is named (listing, the pool);
 * - `profile`: a token, an access key, or the owner key acting as one profile.
 */
export type CredentialNeed = "owner" | "any" | "profile";

/** Lists the profiles with the owner key, to pick the one profile when none is named. */
export type ProfileLister = (ownerKey: string) => Promise<ProfileView[]>;

function noOwnerKey(dir: string, why: string): CliError {
  return new CliError(
    "NO_CREDENTIALS",
    `${why}, and there is no owner key in ${join(dir, "owner.key")}`,
    EXIT.refused,
    {
      hint:
        "run where Hearth's data directory is (set HEARTH_DATA to it; `hearth serve` creates owner.key), " +
        "or give --token / HEARTH_TOKEN, or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY",
    },
  );
}

export async function resolveCredentials(
  o: GlobalOptions,
  env: Env,
  dir: string,
  need: CredentialNeed,
  listProfiles: ProfileLister,
): Promise<Credentials> {
  if (need === "owner") {
    const key = await readOwnerKey(dir);
    if (!key) throw noOwnerKey(dir, "only the machine's owner may do this");
    return { kind: "owner", key };
  }
  const token = o.token ?? env.HEARTH_TOKEN;
  if (token) return { kind: "token", token };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && o.profile === undefined) {
    return {
      kind: "access-key",
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    };
  }
  const key = await readOwnerKey(dir);
  if (!key) throw noOwnerKey(dir, "no --token, HEARTH_TOKEN or AWS_ACCESS_KEY_ID was given");
  const named = o.profile ?? env.HEARTH_PROFILE;
  if (named) return { kind: "owner", key, profile: named };
  if (need === "any") return { kind: "owner", key };
  const profiles = await listProfiles(key);
  if (profiles.length === 1) return { kind: "owner", key, profile: profiles[0]!.name };
  if (profiles.length === 0) {
    throw new CliError("PROFILE_NOT_FOUND", "there is no profile yet", EXIT.refused, {
      hint: "create one with `hearth profile create <name>`",
    });
  }
  throw new CliError(
    "PROFILE_REQUIRED",
    `name the profile with --profile or HEARTH_PROFILE (profiles: ${profiles.map((p) => p.name).join(", ")})`,
    EXIT.usage,
  );
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/**
 * Node's fetch gives up on an answer (headers, or the next piece of the body) after 300 s of silence, and so does
 * the CLI's node:http transport.
 */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", SILENCE_CODE]);

/** fetch puts the socket's code on the error's cause (or the cause's cause); node:http on the error itself. */
function causeCode(err: Error): unknown {
  const own = (err as { code?: unknown }).code;
  if (typeof own === "string" && (CONNECTION_CODES.has(own) || TIMEOUT_CODES.has(own))) return own;
  const cause = (err as { cause?: { code?: unknown; cause?: { code?: unknown } } }).cause;
  return cause?.code ?? cause?.cause?.code;
}

/** fetch's way of saying nothing answered (or the connection dropped): a TypeError whose cause has a socket code. */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = causeCode(err);
  if (typeof code === "string") return CONNECTION_CODES.has(code);
  return err instanceof TypeError && (err.message === "fetch failed" || err.message === "terminated");
}

/** fetch's own time limit ran out: Hearth is there but said nothing for minutes. */
export function isAnswerTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = causeCode(err);
  return typeof code === "string" && TIMEOUT_CODES.has(code);
}

export function unreachable(url: string, source: UrlSource, dir: string): CliError {
  const stale =
    source === "serve.json"
      ? `the address came from ${join(dir, SERVE_FILE)}, left by a Hearth that is no longer running`
      : undefined;
  return new CliError(
    "HEARTH_UNREACHABLE",
    `no Hearth is running at ${url}: start it with \`hearth serve\` (or npm start)`,
    EXIT.unreachable,
    stale ? { hint: stale } : {},
  );
}

/** A HearthClient whose failures to reach the server become HEARTH_UNREACHABLE (exit 4). */
export class Connection {
  readonly client: HearthClient;

  constructor(
    readonly target: ResolvedUrl,
    readonly credentials: Credentials | null,
    readonly dir: string,
  ) {
    this.client = new HearthClient(target.url, credentials, nodeHttpSend());
  }

  get url(): string {
    return this.target.url;
  }

  private translate(err: unknown): unknown {
    if (isAnswerTimeout(err)) {
      return new CliError(
        "HEARTH_TIMEOUT",
        `Hearth at ${this.target.url} sent nothing for 300 s; the request was given up`,
        EXIT.hearthFailed,
        {
          hint: "for long tasks, use `hearth invoke --async` and follow them with `hearth logs <task> --follow`",
        },
      );
    }
    return isConnectionFailure(err) ? unreachable(this.target.url, this.target.source, this.dir) : err;
  }

  async call<N extends OperationName>(name: N, input: InputOf<N>): Promise<OutputOf<N>> {
    try {
      return await this.client.call(name, input);
    } catch (err) {
      throw this.translate(err);
    }
  }

  async *invokeStream(input: Omit<InputOf<"invoke">, "mode">): AsyncGenerator<InvocationEvent> {
    try {
      yield* this.client.invokeStream(input);
    } catch (err) {
      throw this.translate(err);
    }
  }

  async *liveLogs(
    q: { task: string; ownerAccountId?: string; invocation?: string },
    signal?: AbortSignal,
  ): AsyncGenerator<LogRecord> {
    try {
      yield* this.client.liveLogs(q, signal);
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** Whether a Hearth answers at the URL (its health, within a few seconds). */
  async answers(timeoutMs = 3000): Promise<boolean> {
    try {
      const res = await fetch(`${this.target.url}/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json()) as { name?: unknown };
      return res.ok && body.name === "hearth";
    } catch {
      return false;
    }
  }
}

/** The URL alone, for commands that first check whether a server runs. */
export async function locate(o: GlobalOptions, env: Env = process.env, dir = dataDir()): Promise<Connection> {
  return new Connection(await resolveUrl(o, env, dir), null, dir);
}

/** A connection with credentials for `need`. */
export async function connect(
  o: GlobalOptions,
  need: CredentialNeed,
  env: Env = process.env,
  dir = dataDir(),
): Promise<Connection> {
  const target = await resolveUrl(o, env, dir);
  let credentials: Credentials;
  try {
    credentials = await resolveCredentials(o, env, dir, need, async (key) =>
      new Connection(target, { kind: "owner", key }, dir).call("listProfiles", {}),
    );
  } catch (err) {
    // Without a server there is no owner key yet either: the absent server is the thing to fix first.
    if (err instanceof CliError && err.code === "NO_CREDENTIALS") {
      const bare = new Connection(target, null, dir);
      if (!(await bare.answers())) throw unreachable(target.url, target.source, dir);
    }
    throw err;
  }
  return new Connection(target, credentials, dir);
}
