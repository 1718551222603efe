// The invocation the shared listener serves: the native API's invoke operation, run for a token holder.
import type { Host } from "../../host.ts";
import type { SharedInvocation } from "../shared-listener.ts";
import { runNativeOperation } from "./native-api.ts";
import { httpTransport, nativeHandlers } from "./native-handlers.ts";

export function sharedInvocation(app: Host): SharedInvocation {
  const handlers = nativeHandlers(app);
  return (caller, input, reply) =>
    runNativeOperation(handlers, "invoke", caller, input, httpTransport(reply));
}
