// The connections a host keeps open to other machines' shared listeners, one pool per endpoint and pin, owned by
// the host (it makes one, hands it to whoever calls out, and closes it when it closes).
import { Agent } from "node:http";
import { connectPinned } from "./pinned-tls.ts";

/** An idle verified connection is kept this long (the listener keeps its own for 65 s, so it closes them first). */
export const IDLE_CONNECTION_MS = 15_000;
/** Endpoints (with their pins) whose connections are kept; the least recently used goes beyond this. */
const MAX_KEPT_ENDPOINTS = 64;

/**
 * Connections to one endpoint under one pin, kept open between calls so a busy remote alias pays the TLS handshake
 * once: every new connection is verified by connectPinned before the agent writes on it, and a call still carries its
 * token each time (a revoked token is refused on the next call whatever the connection). Idle sockets are unref'd.
 */
export class RemoteConnections {
  private readonly agents = new Map<string, Agent>();

  /** The agent whose sockets all showed `fingerprint`: the kept one for this endpoint and pin, or a new one. */
  agentFor(endpoint: string, fingerprint: string, connectTimeoutMs: number | undefined): Agent {
    const key = `${endpoint}\n${fingerprint.toLowerCase()}`;
    const kept = this.agents.get(key);
    if (kept) {
      // Re-inserted: the map's order is the order of last use.
      this.agents.delete(key);
      this.agents.set(key, kept);
      return kept;
    }
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      maxFreeSockets: 4,
      timeout: IDLE_CONNECTION_MS,
    });
    agent.createConnection = (_options, done) => {
      connectPinned(endpoint, fingerprint, connectTimeoutMs).then(
        (socket) => done?.(null, socket),
        (err: Error) => done?.(err, undefined as never),
      );
      return undefined;
    };
    this.agents.set(key, agent);
    if (this.agents.size > MAX_KEPT_ENDPOINTS) {
      const [oldest, old] = this.agents.entries().next().value as [string, Agent];
      this.agents.delete(oldest);
      old.destroy();
    }
    return agent;
  }

  /** Sockets open now, in use or kept idle, across every endpoint. */
  get openSockets(): number {
    let n = 0;
    for (const agent of this.agents.values()) {
      for (const list of [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)]) {
        n += list?.length ?? 0;
      }
    }
    return n;
  }

  /** Closes every kept connection (the host does this on shutdown; tests, between cases). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
