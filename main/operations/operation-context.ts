// What an operation runs with: the host, who calls and as which profile, and what its transport offers beyond
// answering a value (an accepted answer, an event stream), which HTTP and IPC each provide in their own way.
import type { OperationName, Operations } from "../contract.ts";
import type { CommandContext } from "../domain/model/command-context.ts";
import type { Host } from "../host.ts";
import { systemRandom } from "../store/system-random.ts";
import type { Caller } from "./caller.ts";
import type { z } from "zod";

/** Where a streamed invocation's events go: server-sent events over HTTP, a per-call channel over IPC. */
export interface EventSink {
  send(event: string, data: unknown): void;
  /** Keeps an idle connection open (an SSE comment); transports without idle timers ignore it. */
  comment(text: string): void;
  end(): void;
}

/** What an operation may ask of the transport beyond answering a value; HTTP and IPC each provide one. */
export interface CallTransport {
  /** The answer is an accepted, not finished, piece of work (HTTP answers 202). */
  accepted(): void;
  /** Opens the event stream a streamed invocation answers with; the operation's return value is then ignored. */
  openEvents(): EventSink;
}

/** A running shared listener as a share link needs it: its endpoint, its pin, and its certificate for curl's pin. */
export interface SharedEndpoint {
  url: string;
  fingerprint: string;
  certPem: string;
}

/** What every call of one host's operations shares: the host, and its shared listener while it shares. */
export interface OperationHost {
  host: Host;
  /** The shared listener serving this host, or null while sharing is off. */
  sharing: () => SharedEndpoint | null;
}

/** One call: the host's side, who calls, the profile it acts as, and its transport. */
export interface OperationContext extends OperationHost {
  caller: Caller;
  /** The profile the call acts as (null only for owner-wide and public operations). */
  profileId: string | null;
  transport: CallTransport;
  /**
   * Runs another operation as the same caller, with the same checks (a project's session uploads its functions this
   * way): set by runOperation.
   */
  call?: (name: OperationName, input: unknown) => Promise<unknown>;
}

/** An operation's input once its contract schema has checked it. */
export type OperationInput<N extends OperationName> = z.output<Operations[N]["input"]>;

/** The profile of an operation that always acts as one (the access check made sure it names one). */
export function actingAs(c: OperationContext): string {
  if (c.profileId === null) throw new Error("INTERNAL_ERROR: an operation ran without a profile");
  return c.profileId;
}

/** The clock, randomness and sealer the domain's commands run with. */
export function commandContext(host: Pick<Host, "store">): CommandContext {
  return { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
}
