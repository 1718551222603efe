// The projects open in the host (the window's "Open project…"), one session per profile and folder, each following
// its files until it is closed or the host stops.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { ProjectStatus } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { ProjectSession, type DevOptions, type ProjectCalls } from "./project-session.ts";

/** More open projects than a person follows at once; each holds a file watcher. */
export const MAX_OPEN_PROJECTS = 16;

interface Open {
  id: string;
  profileId: string;
  session: ProjectSession;
}

export class ProjectSessions {
  private readonly open = new Map<string, Open>();

  list(profileId: string): ProjectStatus[] {
    return [...this.open.values()]
      .filter((o) => o.profileId === profileId)
      .map((o) => ({ id: o.id, ...o.session.status() }));
  }

  get(profileId: string, id: string): ProjectStatus | null {
    const o = this.open.get(id);
    return o && o.profileId === profileId ? { id, ...o.session.status() } : null;
  }

  /**
   * Opens `dir` for the profile: imports its functions, publishes its routes and follows its files. The same folder
   * opened again by the same profile is the session already open, read afresh.
   */
  async openProject(
    profileId: string,
    dir: string,
    options: Omit<DevOptions, "watch">,
    calls: ProjectCalls,
  ): Promise<ProjectStatus> {
    const absolute = resolve(dir);
    const same = [...this.open.values()].find(
      (o) => o.profileId === profileId && o.session.status().dir === absolute,
    );
    if (same) await this.close(profileId, same.id);
    if (this.open.size >= MAX_OPEN_PROJECTS) {
      throw new HearthError(
        "PROJECT_LIMIT_EXCEEDED",
        `${MAX_OPEN_PROJECTS} projects are open already; close one first`,
      );
    }
    const quiet = { note: () => undefined, out: () => undefined };
    const session = new ProjectSession(absolute, calls, { ...options, watch: true }, quiet);
    await session.start();
    session.watch();
    const id = `prj_${randomBytes(6).toString("hex")}`;
    this.open.set(id, { id, profileId, session });
    return { id, ...session.status() };
  }

  async close(profileId: string, id: string): Promise<boolean> {
    const o = this.open.get(id);
    if (!o || o.profileId !== profileId) return false;
    this.open.delete(id);
    await o.session.stop();
    return true;
  }

  /** Stops following every project (the host is stopping); tasks and APIs stay. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((o) => o.session.stop().catch(() => undefined)));
  }
}
