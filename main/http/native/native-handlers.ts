// The operations as the shared listener runs its invocation route: bound to the host, over the HTTP transport.
import type { Host } from "../../host.ts";
import type { OperationHost } from "../../operations/operation-context.ts";

export { httpTransport } from "./http-transport.ts";

/**
 * The host's operations for the shared listener, which serves invocations only: no operation it runs asks for the
 * sharing state, so none is looked up here (the local port's native API looks it up, main/http/server.ts).
 */
export function nativeHandlers(app: Host): OperationHost {
  return { host: app, sharing: () => null };
}
