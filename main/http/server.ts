// The local HTTP port: loopback unless the user opts in; the native API, the Lambda API and the APIs built from tasks.
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { runDoctor } from "../doctor.ts";
import type { Host } from "../host.ts";
import { ensureOwnerKey } from "../store/owner-key.ts";
import { PRIVATE_FILE_MODE } from "../store/private-data-dir.ts";
import { sandboxAnswers } from "./answer-sandbox.ts";
import { registerApiGateway } from "./apis/api-gateway.ts";
import { registerFunctionUrls } from "./apis/function-url-gateway.ts";
import { DoctorProbe, registerDoctor } from "./doctor-route.ts";
import { LOCAL_PORT_TIMEOUTS, type LocalPort } from "./local-port.ts";
import { registerLambdaFunctions } from "./lambda/lambda-functions.ts";
import { registerLambdaInvoke } from "./lambda/lambda-invoke.ts";
import { registerLambdaEventConfig } from "./lambda/lambda-event-config.ts";
import { registerLambdaPolicy } from "./lambda/lambda-policy.ts";
import { registerLambdaUrls } from "./lambda/lambda-urls.ts";
import { registerLambdaVersions } from "./lambda/lambda-versions.ts";
import { AuthFailures } from "./native/auth-failures.ts";
import { NativeAuth } from "./native/native-auth.ts";
import { registerNativeApi } from "./native/native-api.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { sharedInvocation } from "./native/shared-invoke.ts";
import { startSharedListener, type SharedListener } from "./shared-listener.ts";
import { registerRemoteApiProxy } from "./remote-api-proxy.ts";
import { guardRequests } from "./request-guard.ts";
import { registerUi } from "./ui-static.ts";
import { HearthError } from "../domain/model/errors.ts";

export interface ServeOptions {
  host: string;
  port: number;
  app: Host;
  /** Sharing on: the TLS listener for token holders on another machine, on the address the owner picked. */
  share?: { host: string; port: number };
  /**
   * The port already open (answering while Hearth started, main/http/startup-server.ts): the full API takes its
   * socket over instead of opening one, and closing the server closes it. `host` and `port` must be the ones it
   * was opened with.
   */
  listener?: LocalPort;
  /**
   * Says what went wrong on the host's side of a request where the server's output goes (an API's authorizer that
   * failed): `cause` names the kind, so that a repeated one can be said once in a while, not per request.
   */
  problem?: (cause: string, line: string) => void;
}

/** Where a running server says it listens, so the CLI finds it without being told. */
export const SERVE_FILE = "serve.json";

/** What serve.json holds: the local port, and the shared listener's endpoint and pin while sharing is on. */
export interface ServeFile {
  url: string;
  pid: number;
  shared?: { url: string; fingerprint: string };
}

export async function startServer(o: ServeOptions): Promise<FastifyInstance> {
  const options = { logger: false, bodyLimit: 6 * 1024 * 1024, ...LOCAL_PORT_TIMEOUTS };
  const listener = o.listener;
  const server = listener
    ? listener.build((serverFactory) => Fastify({ ...options, serverFactory }))
    : Fastify(options);
  const failures = new AuthFailures();
  const auth = new NativeAuth(await ensureOwnerKey(o.app.dataDir), failures);

  // First, for every request: the Host it names and the page it comes from; then what its answer may do.
  guardRequests(server, { address: o.host });
  sandboxAnswers(server);
  registerDoctor(server, {
    probe: new DoctorProbe(() => runDoctor()),
    auth,
    state: () => o.app.store.documents.state,
  });
  registerNativeApi(server, o.app, auth, () => o.app.sharing.current());
  registerLambdaInvoke(server, o.app, failures);
  registerLambdaFunctions(server, o.app, failures);
  registerLambdaVersions(server, o.app, failures);
  registerLambdaPolicy(server, o.app, failures);
  registerLambdaEventConfig(server, o.app, failures);
  const problem = o.problem;
  registerApiGateway(server, {
    store: o.app.store,
    invoker: o.app.invoker,
    failures,
    ...(problem
      ? {
          onAuthorizerProblem: (p) =>
            problem(
              `authorizer ${p.api} ${p.routeKey} ${p.problem.replace(/:.*/, "")}`,
              `hearth: API "${p.api}", route ${p.routeKey}: answered ${p.status} because ${p.problem}`,
            ),
        }
      : {}),
  });
  registerFunctionUrls(server, o.app, failures);
  registerLambdaUrls(server, o.app, failures);
  registerRemoteApiProxy(server, o.app, auth);
  registerUi(server);
  // No CORS headers are ever sent: a page of another origin cannot read any answer, and request-guard.ts refuses
  // its requests outright.
  server.setNotFoundHandler((req, reply) =>
    sendNativeError(
      reply,
      new HearthError("ROUTE_NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]!.slice(0, 200)}`),
    ),
  );
  const file = join(o.app.dataDir, SERVE_FILE);
  let shared: SharedListener | null = null;
  server.addHook("onClose", async () => {
    await shared?.close();
    await rm(file, { force: true });
    // fastify closes only a socket it opened itself.
    await listener?.close();
  });
  if (listener) await listener.serve(server);
  else await server.listen({ host: o.host, port: o.port });
  if (o.share) {
    try {
      // The same failure counts as the local port: an address that guesses here is slowed down there too.
      shared = await startSharedListener({
        app: o.app,
        ...o.share,
        failures,
        invoke: sharedInvocation(o.app),
      });
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  const bound = server.server.address();
  const port = typeof bound === "object" && bound ? bound.port : o.port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  const served: ServeFile = {
    url: `http://${host}:${port}`,
    pid: process.pid,
    ...(shared ? { shared: { url: shared.url, fingerprint: shared.fingerprint } } : {}),
  };
  await writeFile(file, `${JSON.stringify(served)}\n`, { mode: PRIVATE_FILE_MODE });
  // writeFile's mode applies only to a new file: one an older Hearth left keeps its mode otherwise.
  await chmod(file, PRIVATE_FILE_MODE);
  return server;
}
