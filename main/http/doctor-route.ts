// GET /v1/doctor on the local port: the checks' last report for anyone who reaches the port; a fresh run (which
// boots two tiny guests) only for the machine's owner, one at a time, and not again within a cooldown.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { DoctorReport } from "../doctor.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { HearthState } from "../domain/model/state.ts";
import type { NativeAuth } from "./native/native-auth.ts";
import { sendNativeError } from "./native/native-errors.ts";

export const DOCTOR_PATH = "/v1/doctor";
/** A probe boots QEMU twice: once a minute is plenty for a person watching a fix take effect. */
export const DOCTOR_COOLDOWN_MS = 60_000;

/** Runs the doctor's probe once, then again only on request: never two at once, never within the cooldown. */
export class DoctorProbe {
  private last: Promise<DoctorReport> | null = null;
  private running = false;
  private finishedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly run: () => Promise<DoctorReport>,
    private readonly cooldownMs = DOCTOR_COOLDOWN_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last report, probing the first time only. */
  report(): Promise<DoctorReport> {
    return this.last ?? this.start();
  }

  /** A fresh report: a probe under way is joined; within the cooldown after the last one, the caller waits. */
  refresh(): Promise<DoctorReport> {
    if (this.running && this.last) return this.last;
    const wait = this.finishedAt + this.cooldownMs - this.now();
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      return Promise.reject(
        Object.assign(new Error(`TOO_MANY_REQUESTS: the doctor ran moments ago; run it again in ${s} s`), {
          code: "TOO_MANY_REQUESTS",
          retryAfterS: s,
        }),
      );
    }
    return this.start();
  }

  private start(): Promise<DoctorReport> {
    this.running = true;
    const run = this.run().finally(() => {
      this.running = false;
      this.finishedAt = this.now();
    });
    this.last = run;
    return run;
  }
}

export function registerDoctor(
  server: FastifyInstance,
  o: { probe: DoctorProbe; auth: NativeAuth; state: () => HearthState },
): void {
  server.get(DOCTOR_PATH, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      if ((req.query as { refresh?: string }).refresh !== "1") return await o.probe.report();
      const caller = o.auth.authenticate(o.state(), req.headers, req.ip);
      if (caller.kind !== "owner") {
        throw new HearthError(
          "FORBIDDEN",
          "only the machine's owner (owner key) may run the doctor's probes again",
        );
      }
      return await o.probe.refresh();
    } catch (err) {
      return sendNativeError(reply, err);
    }
  });
}
