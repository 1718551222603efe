// What a client needs to send each operation (its method, path and raw-body field) and the event streams' paths, as
// plain data read from main/contract.ts. The CLI's bundle holds this module as computed when it was built
// (bin/cli-bundle.mjs freezes it), so commands that only talk HTTP do not load zod and every schema to get a path.
import {
  LIVE_LOGS_PATH,
  operations,
  POOL_EVENTS_PATH,
  PROFILE_HEADER,
  REMOTE_API_PATH,
  type HttpMethod,
  type OperationName,
} from "../contract.ts";

export interface OperationRoute {
  method: HttpMethod;
  path: string;
  /** A field sent as the raw request body instead of JSON (an invocation's payload). */
  rawBody?: string;
}

export const ROUTES = Object.fromEntries(
  Object.entries(operations).map(([name, o]: [string, OperationRoute]) => [
    name,
    { method: o.method, path: o.path, ...(o.rawBody !== undefined ? { rawBody: o.rawBody } : {}) },
  ]),
) as Record<OperationName, OperationRoute>;

export { LIVE_LOGS_PATH, POOL_EVENTS_PATH, PROFILE_HEADER, REMOTE_API_PATH };
