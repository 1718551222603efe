// A VM driver without VMs, for fast unit tests of the pool: each "domain" is a set of unix sockets answered by
// a tiny in-process agent. Never used to prove a feature; the same behaviours are tested on libvirt in tests/vm.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMetadata } from "../../main/vm/domain-xml.ts";
import type { DomainSummary, VmDriver } from "../../main/vm/libvirt-driver.ts";
import { encodeFrame, FrameDecoder, frameType, CONTROL_PORT } from "../../main/vm/protocol.ts";
import { encodeHeader, readSaveHeader } from "../../main/vm/save-image.ts";

interface FakeDomain {
  /** What each slot holds: the fake sandbox answers with it. */
  loaded: Map<number, { functionVersion: string }>;
  name: string;
  xml: string;
  dir: string;
  servers: Server[];
  sockets: Socket[];
  paths: Map<string, string>;
  /** The host's connection to the agent, once it is open. */
  control: Socket | null;
}

export interface FakeDriverOptions {
  /** Delay before a created domain's agent answers, like a boot. */
  bootDelayMs?: number;
  /** Makes create() fail for names matching this. */
  failCreate?: RegExp;
  /** When true the agent never answers pings (a hung guest). */
  hangPings?: (name: string) => boolean;
  /** How long a sandbox load and an invocation take. */
  loadDelayMs?: number;
  invokeDelayMs?: number;
  /** The agent ignores this many sync requests (across all domains), as if the frames were lost. */
  dropSyncs?: number;
  /** Lines each sandbox prints on stdout while it runs an invocation, before it answers. */
  invokeLogLines?: string[];
  /**
   * A streaming handler's response: each sandbox sends these as chunk frames (the first naming text/plain),
   * `chunkDelayMs` apart, then a streamed result.
   */
  invokeChunks?: string[];
  chunkDelayMs?: number;
}

export class FakeDriver implements VmDriver {
  readonly uri = "fake:///";
  readonly local = true;
  readonly session = false;
  readonly domains = new Map<string, FakeDomain>();
  readonly root = mkdtempSync(join(tmpdir(), "hearth-fake-driver-"));
  /** Highest number of domains that were starting at the same time. */
  maxConcurrentStarts = 0;
  creates = 0;
  /** The CPU weight last set per domain. */
  readonly cpuShares = new Map<string, number>();
  restores = 0;
  /** Sync requests the agents received, answered or not. */
  syncs = 0;
  private starting = 0;

  constructor(private readonly o: FakeDriverOptions = {}) {}

  async create(xml: string): Promise<string> {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw new Error("VM_CREATE_FAILED: no name");
    if (this.domains.has(name)) throw new Error(`VM_CREATE_FAILED: domain ${name} already exists`);
    if (this.o.failCreate?.test(name)) throw new Error(`VM_CREATE_FAILED: refused ${name} (test)`);
    this.creates++;
    this.starting++;
    this.maxConcurrentStarts = Math.max(this.maxConcurrentStarts, this.starting);
    try {
      await new Promise((r) => setTimeout(r, this.o.bootDelayMs ?? 20));
      await this.start(name, xml);
    } finally {
      this.starting--;
    }
    return name;
  }

  private async start(name: string, xml: string): Promise<void> {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const names = [...xml.matchAll(/<target type='virtio' name='([^']+)'/g)].map((m) => m[1]!);
    const dom: FakeDomain = {
      loaded: new Map(),
      name,
      xml,
      dir,
      servers: [],
      sockets: [],
      paths: new Map(),
      control: null,
    };
    for (const channel of names.length ? names : [CONTROL_PORT]) {
      const path = join(dir, channel);
      const server = createServer((s) => this.serve(dom, channel, s));
      await new Promise<void>((r) => server.listen(path, r));
      dom.servers.push(server);
      dom.paths.set(channel, path);
    }
    this.domains.set(name, dom);
  }

  private serve(dom: FakeDomain, channel: string, s: Socket): void {
    dom.sockets.push(s);
    const dec = new FrameDecoder();
    const send = (f: object): void => void s.write(encodeFrame(f as never));
    s.on("error", () => {});
    if (channel !== CONTROL_PORT) {
      // A sandbox answers each invocation with the version it holds and the payload it got.
      const slot = Number(channel.split(".").pop());
      s.on("data", (c) => {
        for (const f of dec.push(c) as { t: string; id: string; payload: string }[]) {
          if (f.t !== "invoke") continue;
          for (const line of this.o.invokeLogLines ?? [])
            send({ t: "log", id: f.id, stream: "stdout", line });
          const chunks = this.o.invokeChunks;
          if (chunks) {
            void (async () => {
              for (const [i, c] of chunks.entries()) {
                await new Promise((r) => setTimeout(r, this.o.chunkDelayMs ?? 0));
                const data = Buffer.from(c).toString("base64");
                send(
                  i === 0
                    ? { t: "chunk", id: f.id, data, contentType: "text/plain" }
                    : { t: "chunk", id: f.id, data },
                );
              }
              send({
                t: "result",
                id: f.id,
                ok: true,
                payload: "",
                streamed: true,
                durationMs: 1,
                maxRssKb: 1,
              });
            })();
            continue;
          }
          setTimeout(() => {
            const version = dom.loaded.get(slot)?.functionVersion ?? "none";
            send({
              t: "result",
              id: f.id,
              ok: true,
              payload: JSON.stringify({ version, got: f.payload }),
              durationMs: 1,
              maxRssKb: 1,
            });
          }, this.o.invokeDelayMs ?? 5);
        }
      });
      return;
    }
    dom.control = s;
    const ready = {
      t: "ready",
      protocol: 1,
      bootMs: 10,
      agentMs: 1,
      kernel: "fake",
      slots: [1, 2],
      agentStarts: 1,
    };
    s.on("data", (c) => {
      for (const f of dec.push(c)) {
        const id = (f as { id: number }).id;
        switch (frameType(f)) {
          case "hello":
            send({ ...ready, id });
            break;
          case "ping":
            if (!this.o.hangPings?.(dom.name)) send({ t: "pong", id, uptimeMs: 1000 });
            break;
          case "sync":
            if (++this.syncs > (this.o.dropSyncs ?? 0)) send({ t: "synced", id, skewMs: 0 });
            break;
          case "load": {
            const { slot, spec } = f as { slot: number; spec: { functionVersion: string } };
            setTimeout(() => {
              dom.loaded.set(slot, { functionVersion: spec.functionVersion });
              send({ t: "loaded", id, slot, initMs: this.o.loadDelayMs ?? 20, pid: 1000 + slot });
            }, this.o.loadDelayMs ?? 20);
            break;
          }
          case "unload": {
            const { slot } = f as { slot: number };
            dom.loaded.delete(slot);
            send({ t: "unloaded", id, slot });
            break;
          }
          default:
            send({ t: "error", id, code: "UNKNOWN_FRAME", message: "fake agent" });
        }
      }
    });
  }

  /** Sends an event frame from a domain's agent, as if one of its sandboxes had exited, come up or failed. */
  agentEvent(name: string, frame: object): void {
    const control = this.domains.get(name)?.control;
    if (!control) throw new Error(`no agent connection to ${name}`);
    control.write(encodeFrame(frame as never));
  }

  async channelSockets(name: string): Promise<Map<string, string>> {
    const d = this.domains.get(name);
    if (!d) throw new Error(`VM_NOT_FOUND: ${name}`);
    return new Map(d.paths);
  }

  async destroy(name: string): Promise<void> {
    const d = this.domains.get(name);
    if (!d) return;
    this.domains.delete(name);
    for (const s of d.sockets) s.destroy();
    await Promise.all(d.servers.map((srv) => new Promise((r) => srv.close(r))));
    rmSync(d.dir, { recursive: true, force: true });
  }

  /** Simulates QEMU dying: the channels close under the host. */
  async kill(name: string): Promise<void> {
    await this.destroy(name);
  }

  async list(): Promise<DomainSummary[]> {
    return [...this.domains.values()].map((d) => ({
      name: d.name,
      running: true,
      metadata: parseMetadata(d.xml),
    }));
  }

  async save(name: string, file: string): Promise<void> {
    const d = this.domains.get(name);
    if (!d) throw new Error(`VM_NOT_FOUND: ${name}`);
    // A real header with the domain's XML and a few bytes of "memory", so cloning is exercised for real.
    const header = encodeHeader(
      {
        version: 2,
        dataLen: Buffer.byteLength(d.xml) + 4096,
        wasRunning: 1,
        format: 0,
        cookieOffset: 0,
        xml: d.xml,
        cookie: null,
      },
      d.xml,
    );
    writeFileSync(file, Buffer.concat([header, Buffer.from("fake memory")]));
    await this.destroy(name);
  }

  async restore(file: string): Promise<void> {
    const h = readSaveHeader(file);
    if (!readFileSync(file).subarray(-11).equals(Buffer.from("fake memory")))
      throw new Error("VM_RESTORE_FAILED: memory lost");
    const name = /<name>([^<]+)<\/name>/.exec(h.xml)![1]!;
    if (this.domains.has(name)) throw new Error(`VM_RESTORE_FAILED: domain ${name} already exists`);
    this.restores++;
    await this.start(name, h.xml);
  }

  async setCpuShares(name: string, shares: number): Promise<void> {
    if (!this.domains.has(name)) throw new Error(`VM_CPU_WEIGHT_FAILED: no domain ${name}`);
    this.cpuShares.set(name, shares);
  }

  async pid(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {
    for (const name of [...this.domains.keys()]) await this.destroy(name);
    rmSync(this.root, { recursive: true, force: true });
  }
}
