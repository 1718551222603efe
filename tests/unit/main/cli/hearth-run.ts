// Runs the `hearth` command as a user does, its output a pipe or a real terminal (a pseudo-terminal made by
// util-linux's `script`), against a stand-in server: what a user sees, without a real Hearth.
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";
import { shellQuote } from "../../../../main/cli/output.ts";

export interface HearthRun {
  code: number;
  stdout: string;
  /** Empty on a terminal: both streams go to the one terminal, and show in `stdout`. */
  stderr: string;
}

/**
 * Runs `hearth args`. With `tty`, stdout and stderr are one pseudo-terminal; its line discipline turns each
 * newline into CR LF, which is turned back here, so a CR left in the text is one the program printed.
 */
export function runHearth(
  args: string[],
  o: { tty: boolean; env?: Record<string, string> },
): Promise<HearthRun> {
  const env = { ...process.env, HEARTH_URL: "", HEARTH_TOKEN: "", HEARTH_PROFILE: "", ...o.env };
  const [file, argv] = o.tty
    ? [
        "script",
        [
          "-q",
          "-e",
          "-c",
          [process.execPath, "bin/hearth.mjs", ...args].map(shellQuote).join(" "),
          "/dev/null",
        ],
      ]
    : [process.execPath, ["bin/hearth.mjs", ...args]];
  return new Promise((resolve) => {
    execFile(file, argv, { env }, (err, stdout, stderr) =>
      resolve({
        code: err ? Number(err.code) : 0,
        stdout: o.tty ? stdout.replace(/\r\n/g, "\n") : stdout,
        stderr,
      }),
    );
  });
}

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A server answering each request by `route`; closed when the test ends. Its URL has no trailing slash. */
export async function standInServer(t: TestContext, route: Route): Promise<string> {
  const server = createServer((req, res) => route(req, res, new URL(req.url ?? "/", "http://x")));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/** Server-sent events, one `data:` block each (named when `event` is given), then the end of the stream. */
export function sendEvents(res: ServerResponse, events: unknown[], event?: string): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const e of events) res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(e)}\n\n`);
  res.end();
}
