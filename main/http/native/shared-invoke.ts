// The invocation the shared listener serves: the invoke operation, run for a token holder over the HTTP transport.
import type { Host } from "../../host.ts";
import type { SharedInvocation } from "../shared-listener.ts";
import { httpTransport } from "./http-transport.ts";
import { runNativeOperation } from "./native-api.ts";

export function sharedInvocation(app: Host): SharedInvocation {
  const on = { host: app, sharing: () => app.sharing.current() };
  return (caller, input, reply) => runNativeOperation(on, "invoke", caller, input, httpTransport(reply));
}
