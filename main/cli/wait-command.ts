// `hearth wait`: blocks until the Hearth of this data directory (or --url) can run invocations, for scripts that
// start `hearth serve` in the background and must not call it before it is ready.
import type { Command } from "commander";
import { dataDir } from "../paths.ts";
import { resolveUrl, type Env, type GlobalOptions, type ResolvedUrl } from "./connection.ts";
import { CliError, EXIT, usageError } from "./exit-codes.ts";
import { out } from "./output.ts";

/** Between two health checks: short next to a start (a second or more), light on a machine's loopback. */
const POLL_MS = 200;
/** One health check: an answer on loopback takes milliseconds; a server that takes longer is not ready. */
const CHECK_MS = 2_000;
/**
 * The shortest check, even when the timeout is nearer: on a busy machine a refused connection can take a few
 * hundred ms to be reported, and the last check should say what was there, not that it ran out of time.
 */
const MIN_CHECK_MS = 500;
const MAX_TIMEOUT_S = 24 * 60 * 60;

/** What the last health check found. */
type Seen =
  | { kind: "nothing"; url: string; why: string }
  | { kind: "starting"; url: string; message: string }
  | { kind: "other"; url: string; status: number };

interface HealthBody {
  name?: unknown;
  error?: { code?: unknown; message?: unknown };
  starting?: { phase?: unknown };
}

async function check(url: string, ms: number): Promise<Seen | "ready"> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(ms) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const name = (err as Error).name;
    return {
      kind: "nothing",
      url,
      why: cause ?? (name === "TimeoutError" ? `no answer within ${ms} ms` : name),
    };
  }
  let body: HealthBody = {};
  try {
    body = (await res.json()) as HealthBody;
  } catch {
    // Not Hearth's JSON: whatever answers there is not a Hearth (checked below by the name).
  }
  if (body.name !== "hearth") return { kind: "other", url, status: res.status };
  if (res.status === 200) return "ready";
  // The server's message leads with its code (STARTING: …); what it says after is what a user reads here.
  const message =
    typeof body.error?.message === "string"
      ? body.error.message.replace(/^[A-Z][A-Z_]+: /, "")
      : `HTTP ${res.status}`;
  // A start that failed will not become ready: said now, not at the timeout.
  if (body.starting?.phase === "failed") throw new CliError("START_FAILED", message, EXIT.hearthFailed);
  return { kind: "starting", url, message };
}

function timedOut(seen: Seen, target: ResolvedUrl, seconds: number): CliError {
  const within = `within ${seconds} s`;
  if (seen.kind === "starting")
    return new CliError(
      "WAIT_TIMEOUT",
      `Hearth at ${seen.url} was not ready ${within}: ${seen.message}`,
      EXIT.hearthFailed,
      { hint: "wait longer with --timeout" },
    );
  if (seen.kind === "other")
    return new CliError(
      "WAIT_TIMEOUT",
      `what answers at ${seen.url} is not a ready Hearth (its health answered HTTP ${seen.status}) ${within}`,
      EXIT.unreachable,
    );
  return new CliError(
    "WAIT_TIMEOUT",
    `no Hearth answered at ${seen.url} ${within} (${seen.why})`,
    EXIT.unreachable,
    {
      hint:
        target.source === "default"
          ? "start it with `hearth serve`; one on another port is found through the serve.json it writes once ready, or name it with --url"
          : "start it with `hearth serve` (or npm start)",
    },
  );
}

/** Resolves with the URL once its health answers 200; throws WAIT_TIMEOUT (exit 4 or 5) after `seconds`. */
export async function waitForHearth(
  o: GlobalOptions,
  seconds: number,
  env: Env = process.env,
  dir = dataDir(),
): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    // Asked again each time: a server started on another port writes its serve.json once it is ready.
    const target = await resolveUrl(o, env, dir);
    const left = deadline - Date.now();
    const found = await check(target.url, Math.max(MIN_CHECK_MS, Math.min(CHECK_MS, left)));
    if (found === "ready") return target.url;
    if (Date.now() + POLL_MS > deadline) throw timedOut(found, target, seconds);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function registerWaitCommand(program: Command): void {
  program
    .command("wait")
    .description(
      "wait until Hearth can run invocations (its health answers 200), then print its URL; for scripts",
    )
    .option(
      "--timeout <seconds>",
      "give up after this long (exit 4 if no Hearth answered, 5 if it was still starting)",
      "60",
    )
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { timeout: string }>();
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_S)
        throw usageError(`--timeout must be a number of seconds from more than 0 to ${MAX_TIMEOUT_S}`);
      out(await waitForHearth(opts, seconds));
    });
}
