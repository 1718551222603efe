// What this host shares while its shared listener runs: the endpoint and certificate pin that share links name.
// Share links are what teammates' remote aliases are made of; this is this host's end of them. The host owns the
// registry: a listener enters itself while it serves, the share operations read it, and closing the host closes
// whatever listener is still in it.

/** What a share link needs of a running shared listener: its endpoint, its pin, and its certificate for curl's pin. */
export interface SharingInfo {
  url: string;
  fingerprint: string;
  certPem: string;
}

interface RunningListener {
  info: SharingInfo;
  close: () => Promise<void>;
}

export class SharingRegistry {
  /** In the order they started: the last one is the one share links name. */
  private running: RunningListener[] = [];

  /** The shared listener share links name now, or null while sharing is off. */
  current(): SharingInfo | null {
    return this.running.at(-1)?.info ?? null;
  }

  /** A shared listener started serving; `close` stops it (the host calls it if the listener is still up then). */
  started(info: SharingInfo, close: () => Promise<void>): void {
    this.running.push({ info, close });
  }

  /** The listener that started with `info` stopped. */
  stopped(info: SharingInfo): void {
    this.running = this.running.filter((r) => r.info !== info);
  }

  /** Stops every listener still serving, the latest first. */
  async close(): Promise<void> {
    const open = this.running.reverse();
    this.running = [];
    for (const r of open) await r.close();
  }
}
