// Calls one route of a teammate's shared token API on its owner's listener, on the host's pinned connections.
import { request as httpRequest } from "node:http";
import { z } from "zod";
import { hostOf, parseEndpoint } from "./pinned-tls.ts";
import type { RemoteConnections } from "./remote-connections.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TOTAL_TIMEOUT_MS,
  endAtDeadline,
  errorSchema,
  failAsUnreachable,
  readBytes,
  refusal,
} from "./remote-exchange.ts";
import type { RemoteTarget } from "./remote-invoker.ts";

/** A request to a remote API's route, as the teammate's port received it. */
export interface RemoteApiRequest {
  method: string;
  /** The route's path and query under the API (`/orders/7?x=1`), or "" for the API's root. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  idleTimeoutMs?: number;
  totalTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface RemoteApiAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Headers about one connection, or about credentials: never carried from one side to the other. */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "authorization",
  "cookie",
  "set-cookie",
  "x-hearth-profile",
]);

function endToEnd<T>(headers: Record<string, T | undefined>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_HEADERS.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * Calls one route of a shared token API on its owner's listener (`target.endpoint` is the API's address there),
 * with the token as the Bearer, on the same pinned connections as remote aliases. The owner's answer comes back
 * whole (status, end-to-end headers, body); the owner's refusals of the token come back as RemoteInvokeError.
 */
export async function callRemoteApi(
  connections: RemoteConnections,
  target: RemoteTarget,
  r: RemoteApiRequest,
): Promise<RemoteApiAnswer> {
  const url = parseEndpoint(target.endpoint);
  const origin = url.origin;
  const agent = connections.agentFor(target.endpoint, target.fingerprint, r.connectTimeoutMs);
  const { host, port } = hostOf(url);
  const body = r.body ?? Buffer.alloc(0);
  const path = `${url.pathname.replace(/\/+$/, "")}${r.path.startsWith("/") || r.path === "" || r.path.startsWith("?") ? "" : "/"}${r.path}`;
  let clearDeadline = (): void => undefined;
  return new Promise<RemoteApiAnswer>((resolve, reject) => {
    const req = httpRequest({
      host,
      port,
      method: r.method,
      path,
      headers: {
        ...endToEnd(r.headers),
        authorization: `Bearer ${target.token}`,
        ...(body.length || !["GET", "HEAD"].includes(r.method) ? { "content-length": body.length } : {}),
      },
      agent,
    });
    failAsUnreachable(req, origin, r.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, reject);
    const deadline = endAtDeadline(req, origin, r.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, reject);
    clearDeadline = deadline.clear;
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const tokenRefused =
        (status === 401 || status === 403 || status === 429) &&
        String(res.headers["content-type"] ?? "").startsWith("application/json");
      const answer = readBytes(res, origin).then(async (bytes): Promise<RemoteApiAnswer> => {
        if (tokenRefused) {
          const text = bytes.toString("utf8");
          // Hearth's own refusal of the token (revoked, expired, rate limited) keeps its code; a route's own
          // 401/403/429 is the API's answer and passes through like any other.
          const parsed = z.object({ error: errorSchema }).safeParse(safeJson(text));
          if (parsed.success) {
            const retry = res.headers["retry-after"];
            throw refusal(origin, parsed.data.error, status, typeof retry === "string" ? retry : undefined);
          }
        }
        return {
          status,
          headers: endToEnd(res.headers as Record<string, string | string[] | undefined>),
          body: bytes,
        };
      });
      answer.then(resolve, (err: unknown) => {
        res.destroy();
        reject(err);
      });
    });
    req.end(body);
  }).finally(() => clearDeadline());
}
