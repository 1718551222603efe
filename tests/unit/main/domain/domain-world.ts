// A small deterministic world for domain tests: a seeded RNG, a clock that ticks, a reversible fake sealer.
import type { CommandContext, SecretSealer } from "../../../../main/domain/model/command-context.ts";
import { seededRandom } from "../../../../main/domain/model/random-source.ts";
import { emptyState, type Change, type HearthState } from "../../../../main/domain/model/state.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask, type CreateTaskInput } from "../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";

export const T0 = Date.parse("2025-03-01T10:00:00.000Z");

/** Reversible but not the identity: a sealed value never contains the plaintext. */
export const fakeSealer: SecretSealer = {
  seal: (p) => `sealed:${Buffer.from(p, "utf8").toString("hex")}`,
  open: (s) => {
    if (!s.startsWith("sealed:")) throw new Error("not sealed by fakeSealer");
    return Buffer.from(s.slice("sealed:".length), "hex").toString("utf8");
  },
};

export const sha = (c: string): string => c.repeat(64).slice(0, 64);

export class World {
  state: HearthState = emptyState();
  now = T0;
  readonly random = seededRandom(42);

  get ctx(): CommandContext {
    return { now: this.now, random: this.random, sealer: fakeSealer };
  }

  /** Applies a command and keeps its state; the clock moves one second per command. */
  apply<R>(fn: (s: HearthState) => Change<R>): R {
    const { state, result } = fn(this.state);
    this.state = state;
    this.now += 1000;
    return result;
  }

  profile(name: string): string {
    return this.apply((s) => createProfile(s, { name }, this.ctx)).profile.id;
  }

  task(profileId: string, input: Partial<CreateTaskInput> & { name: string }): string {
    return this.apply((s) =>
      createTask(
        s,
        profileId,
        { runtime: "nodejs", handler: "index.handler", code: { sha256: sha("a"), size: 10 }, ...input },
        this.ctx,
      ),
    ).id;
  }

  publish(profileId: string, task: string, description = ""): number {
    return this.apply((s) => publishVersion(s, profileId, { task, description }, this.ctx)).version.version;
  }
}

/** Runs `fn`, expecting a HearthError with `code` (and `field`, when given); returns it for more checks. */
export function expectError(
  fn: () => unknown,
  code: string,
  field?: string,
): { code: string; field?: string; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; field?: string; message: string };
    if (e.code !== code)
      throw new Error(`expected ${code}, got ${e.code ?? "no code"}: ${e.message}`, { cause: err });
    if (field !== undefined && e.field !== field) {
      throw new Error(`expected field "${field}", got "${e.field ?? "(none)"}": ${e.message}`, {
        cause: err,
      });
    }
    return e as { code: string; field?: string; message: string };
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}
