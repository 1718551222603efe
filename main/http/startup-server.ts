// The port while Hearth starts: the window and its startup status, so a user who opens the link sees the image
// build and the pool starting; every other route answers 503 STARTING until the real server takes the port over.
import Fastify, { type FastifyInstance } from "fastify";
import { operations } from "../contract.ts";
import { HearthError } from "../domain/errors.ts";
import type { StartupProgress } from "../startup-progress.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { sandboxAnswers } from "./answer-sandbox.ts";
import { guardRequests } from "./request-guard.ts";
import { registerUi } from "./ui-static.ts";

export interface StartupServerOptions {
  host: string;
  port: number;
  progress: StartupProgress;
  /** Where the window's files are (tests point it elsewhere). */
  uiDir?: string;
}

export async function startStartupServer(o: StartupServerOptions): Promise<FastifyInstance> {
  // Requests are tiny here: nothing but the status is served, and nothing is read from a body.
  const server = Fastify({ logger: false, bodyLimit: 1024, keepAliveTimeout: 5_000 });
  // The same port as the real server, so the same rules: its own names only, nothing unsandboxed but the window.
  guardRequests(server, { address: o.host });
  sandboxAnswers(server);
  server.get(operations.startup.path, async (_req, reply) =>
    reply.header("cache-control", "no-store").send(o.progress.status()),
  );
  registerUi(server, ...(o.uiDir ? [o.uiDir] : []));
  server.setNotFoundHandler((req, reply) => {
    const s = o.progress.status();
    const doing = s.step ? `${s.title}, step ${s.step.n} of ${s.step.of}: ${s.step.message}` : s.title;
    void reply.header("retry-after", "1");
    return sendNativeError(
      reply,
      new HearthError(
        "STARTING",
        s.phase === "failed"
          ? `Hearth could not start: ${s.error ?? "unknown error"}`
          : `Hearth is starting (${doing}); ${req.method} ${req.url.split("?")[0]!.slice(0, 200)} works once it is ready`,
      ),
    );
  });
  await server.listen({ host: o.host, port: o.port });
  return server;
}
