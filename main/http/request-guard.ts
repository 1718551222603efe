// Who may talk to the local port from a browser: a request must name the port by a name it is bound to, so a page
// whose hostname was pointed at this machine (DNS rebinding) is refused, and no other origin's page may call the
// native or Lambda API. APIs built from tasks (/apis/…) decide on origins themselves (api-gateway.ts).
import { hostname, networkInterfaces } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HearthError } from "../domain/model/errors.ts";
import { API_PATH_PREFIX } from "./apis/api-gateway.ts";
import { FUNCTION_URL_PREFIX } from "../domain/tasks/function-urls.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { isWindowFile } from "./ui-static.ts";

/** What the machine is called, and the addresses of its interfaces (for a server bound to every interface). */
export interface MachineNames {
  hostname: string;
  addresses: string[];
}

export function thisMachine(): MachineNames {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.address] : []));
  return { hostname: hostname(), addresses };
}

/** A host name as a URL spells it: lower case, IPv6 in brackets and compressed; null when it is not one. */
function canonicalName(name: string): string | null {
  const bare = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  if (bare === "" || /[^A-Za-z0-9.:_-]/.test(bare)) return null;
  try {
    return new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return null;
  }
}

const isWildcard = (address: string): boolean => address === "0.0.0.0" || address === "::" || address === "";
const isLoopback = (address: string): boolean =>
  address === "localhost" || address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address);

/**
 * The host names the port answers to: the loopback names always, the address it is bound to, and where that is
 * not loopback (`hearth serve --host`), the machine's name and, bound to every interface, each interface's address.
 * None of them is a name another site can point at this machine.
 */
export function allowedHostNames(address: string, machine: MachineNames = thisMachine()): Set<string> {
  // The bound address itself even when it is a wildcard: `hearth serve` prints its link with it.
  const names = ["127.0.0.1", "localhost", "::1", address];
  if (isLoopback(address)) return canonicalSet(names);
  names.push(machine.hostname);
  // Where the machine's name is not a domain name, browsers on the LAN reach it by its mDNS name.
  if (!machine.hostname.includes(".")) names.push(`${machine.hostname}.local`);
  if (isWildcard(address)) names.push(...machine.addresses.filter((a) => !a.includes("%")));
  return canonicalSet(names);
}

function canonicalSet(names: string[]): Set<string> {
  return new Set(names.flatMap((n) => canonicalName(n) ?? []));
}

/** The request's `Host` as a URL would spell it, when it names one of `names` at `port`; null otherwise. */
export function acceptedHost(header: string | undefined, names: Set<string>, port: number): string | null {
  if (header === undefined || !/^[A-Za-z0-9.:_[\]-]+$/.test(header)) return null;
  let url: URL;
  try {
    url = new URL(`http://${header}/`);
  } catch {
    return null;
  }
  const named = Number(url.port === "" ? 80 : url.port);
  return names.has(url.hostname) && named === port ? url.host : null;
}

/** Why a browser request comes from a page of another origin than `host`'s, or null when it does not. */
export function crossOrigin(req: Pick<FastifyRequest, "headers">, host: string): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `a page of ${origin.slice(0, 100)}`;
  // Requests a page makes without an Origin (an <img>, a GET): the browser says where they come from.
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `a ${String(site).slice(0, 20)} page`;
  return null;
}

export interface RequestGuardOptions {
  /** The address the server is bound to, as given to listen. */
  address: string;
  machine?: MachineNames;
}

/** Refuses, before any route, requests that name another host, and other origins' pages on the port's own APIs. */
export function guardRequests(server: FastifyInstance, o: RequestGuardOptions): void {
  let allowed: { names: Set<string>; port: number } | null = null;
  const bound = () => {
    if (allowed) return allowed;
    const a = server.server.address();
    allowed = {
      names: allowedHostNames(o.address, o.machine),
      port: typeof a === "object" && a ? a.port : 0,
    };
    return allowed;
  };
  server.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const { names, port } = bound();
    const host = acceptedHost(req.headers.host, names, port);
    if (host === null) {
      const named =
        req.headers.host === undefined ? "no Host header" : `Host "${req.headers.host.slice(0, 100)}"`;
      return sendNativeError(
        reply,
        new HearthError(
          "HOST_NOT_ALLOWED",
          `this port answers to ${[...names].join(", ")} on port ${port}, not to ${named}`,
          "Host",
        ),
      );
    }
    // The window itself may be opened from anywhere (a link in a chat); the APIs from tasks and function URLs
    // have their own rule (a URL's CORS configuration).
    if (isWindowFile(req) || req.url.startsWith(API_PATH_PREFIX) || req.url.startsWith(FUNCTION_URL_PREFIX))
      return;
    const from = crossOrigin(req, host);
    if (from !== null) {
      return sendNativeError(
        reply,
        new HearthError(
          "FORBIDDEN",
          `${from} may not call this port: it serves its own window, the CLI and programs, not other sites`,
          "Origin",
        ),
      );
    }
  });
}
