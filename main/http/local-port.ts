// The local port's one listening socket: opened once as Hearth starts, its requests answered first by the startup
// answers and then by the full API, so a client never finds the port closed between the two.
import { createServer, type RequestListener, type Server } from "node:http";
import type { FastifyInstance, FastifyServerFactory } from "fastify";

/**
 * The socket's timeouts, the full API's (main/http/server.ts uses them for a port of its own too): the socket
 * outlives the startup answers, so a connection kept alive while Hearth starts is one the full API serves next.
 */
export const LOCAL_PORT_TIMEOUTS = {
  // Receiving a request may take this long; running it is bounded by the task's own timeout.
  requestTimeout: 120_000,
  // Clients come and go on one machine: drop idle keep-alive sockets after a while.
  keepAliveTimeout: 65_000,
} as const;

type ClientErrorListener = (...args: unknown[]) => void;

interface Attached {
  handler: RequestListener;
  /** What fastify registered on the socket for requests it cannot parse: it goes when its app does. */
  clientError: ClientErrorListener[];
}

export class LocalPort {
  readonly server: Server;
  private readonly apps = new Map<FastifyInstance, Attached>();
  private current: FastifyInstance | null = null;

  constructor() {
    this.server = createServer((req, res) => {
      const attached = this.current ? this.apps.get(this.current) : undefined;
      // serve() runs before listen(), so a request always finds an app; this is a guard, not a path.
      if (!attached) {
        res.writeHead(503, { "retry-after": "1" }).end();
        return;
      }
      attached.handler(req, res);
    });
    this.server.requestTimeout = LOCAL_PORT_TIMEOUTS.requestTimeout;
    this.server.keepAliveTimeout = LOCAL_PORT_TIMEOUTS.keepAliveTimeout;
  }

  /**
   * A fastify app on this port's socket: `make` builds it with the given serverFactory (fastify's way to take a
   * server it did not create). It answers nothing until `serve` hands it the requests.
   */
  build(make: (serverFactory: FastifyServerFactory) => FastifyInstance): FastifyInstance {
    const before = new Set(this.server.listeners("clientError"));
    let handler: RequestListener | null = null;
    const app = make((h) => {
      handler = h as RequestListener;
      return this.server;
    });
    if (!handler) throw new Error("the app was not built with the port's serverFactory");
    const clientError = this.server
      .listeners("clientError")
      .filter((l) => !before.has(l)) as ClientErrorListener[];
    this.apps.set(app, { handler, clientError });
    return app;
  }

  /** From now on every request goes to `app`: on new connections and on ones kept alive from before alike. */
  async serve(app: FastifyInstance): Promise<void> {
    const next = this.apps.get(app);
    if (!next) throw new Error("the app was not built on this port");
    // Routes and hooks are in place before the first request reaches it.
    await app.ready();
    const previous = this.current;
    this.current = app;
    if (previous && previous !== app) {
      for (const l of this.apps.get(previous)!.clientError) this.server.off("clientError", l);
      this.apps.delete(previous);
      // Its hooks end; the socket stays, since fastify closes only servers it opened itself.
      await previous.close();
    }
  }

  /** Opens the socket; an app must be served first, so that the first connection is already answered. */
  listen(host: string, port: number): Promise<void> {
    if (!this.current) return Promise.reject(new Error("serve an app before the port opens"));
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => reject(err);
      this.server.once("error", failed);
      this.server.listen({ host, port }, () => {
        this.server.off("error", failed);
        resolve();
      });
    });
  }

  /** The port as bound (the one asked for, or the one the system chose for 0). */
  get port(): number {
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  /** Stops accepting connections and ends idle ones; resolves once the requests under way are answered. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeIdleConnections();
    });
  }
}
