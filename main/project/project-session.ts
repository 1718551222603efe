// A developer's project on Hearth while it is open: its functions as tasks and its HTTP events as an API on the
// local port, kept in step with the project's files. A save uploads the functions it touched; Hearth loads the new
// code beside the warm old one, which serves until the new is ready. Code that does not build or parse is shown
// with its file and line and never uploaded, so the old code keeps serving. `hearth dev` runs one in the CLI; the
// window opens one in the host (main/operations/projects.ts). Both call the same operations.
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { join, relative, sep } from "node:path";
import type {
  ApiView,
  InputOf,
  OperationName,
  OutputOf,
  OwnedTaskView,
  ProjectStatus,
  TaskView,
} from "../contract.ts";
import { readProject, type ProjectOptions } from "./read-project.ts";
import { ProjectError, type ProjectFunction, type ProjectModel } from "./project-model.ts";
import { CodeError, packFunction, skippedPath } from "./function-package.ts";

export interface DevOptions extends ProjectOptions {
  access: "public" | "token";
  watch: boolean;
  /** Milliseconds of quiet after a change before reloading (an editor writes a file in several steps). */
  settleMs?: number;
  /** Put every Node.js function under the debugger, each on its own port of 127.0.0.1. */
  inspect?: boolean;
}

/** The operations a session calls, as the profile that opened it: over HTTP in the CLI, in-process in the host. */
export interface ProjectCalls {
  call<N extends OperationName>(name: N, input: InputOf<N>): Promise<OutputOf<N>>;
  /** The local port's URL the routes answer on; empty where the reader knows it (the window). */
  baseUrl: string;
}

/** Where a session says what it did: lines for a person (the terminal's stderr) and what it printed as results. */
export interface ProjectReport {
  note(line: string): void;
  out(line: string): void;
}

/** Lines of a session's own log the status keeps for the window. */
const LOG_LINES = 200;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function kindName(m: ProjectModel): string {
  return m.kind === "sam"
    ? "AWS SAM template"
    : m.kind === "serverless"
      ? "Serverless service"
      : "Hearth task";
}

/** The config fields Hearth keeps for a task, as the project says them. */
function configOf(fn: ProjectFunction) {
  return {
    runtime: fn.runtime,
    handler: fn.handler,
    memoryMb: fn.memoryMb,
    timeoutS: fn.timeoutS,
    environment: fn.environment,
    description: fn.description,
  };
}

function sameConfig(task: OwnedTaskView, fn: ProjectFunction): boolean {
  const c = configOf(fn);
  return (
    task.runtime === c.runtime &&
    task.handler === c.handler &&
    task.memoryMb === c.memoryMb &&
    task.timeoutS === c.timeoutS &&
    task.description === c.description &&
    JSON.stringify(Object.entries(task.environment).sort()) ===
      JSON.stringify(Object.entries(c.environment).sort())
  );
}

/**
 * The project's routes, each keeping the authorizer (and scopes) the same route key has on the API now: the project
 * file says nothing of authorizers, so one attached in the window or the CLI must not fall off at the next save.
 */
export function withKeptAuthorizers<R extends { routeKey: string }>(
  routes: R[],
  current: Pick<ApiView, "routes"> | undefined,
): (R & Pick<ApiView["routes"][number], "authorizerId" | "authorizationScopes">)[] {
  const before = new Map((current?.routes ?? []).map((r) => [r.routeKey, r]));
  return routes.map((r) => {
    const was = before.get(r.routeKey);
    if (was?.authorizerId === undefined) return r;
    return {
      ...r,
      authorizerId: was.authorizerId,
      ...(was.authorizationScopes !== undefined ? { authorizationScopes: was.authorizationScopes } : {}),
    };
  });
}

export class ProjectSession {
  private model: ProjectModel;
  private watcher: FSWatcher | null = null;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The zip last uploaded per function: an editor's temporary files change nothing worth a new load. */
  private readonly uploaded = new Map<string, string>();

  /** What the window shows: each function's last upload, the routes, the last reload, the session's log. */
  private readonly functionState = new Map<string, ProjectStatus["functions"][number]["last"]>();
  private routes: ProjectStatus["routes"] = [];
  private lastReload: ProjectStatus["lastReload"] = null;
  private readonly log: string[] = [];
  private readonly openedAt = new Date().toISOString();

  /** Reads the project; a project that cannot be read throws ProjectError with its file and line. */
  constructor(
    private readonly dir: string,
    private readonly conn: ProjectCalls,
    private readonly o: DevOptions,
    private readonly report: ProjectReport,
  ) {
    this.model = readProject(dir, o);
  }

  private note(line: string): void {
    this.remember(line);
    this.report.note(line);
  }

  private out(line: string): void {
    this.remember(line);
    this.report.out(line);
  }

  private remember(line: string): void {
    this.log.push(`${new Date().toISOString()} ${line}`);
    if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
  }

  private describeNotes(model: ProjectModel): void {
    for (const n of model.notes) this.note(`${n.at.file}:${n.at.line}: ${n.message}`);
  }

  /** The session as the window shows it. */
  status(): Omit<ProjectStatus, "id"> {
    const m = this.model;
    return {
      dir: m.dir,
      file: m.file,
      kind: m.kind,
      apiName: m.apiName,
      watching: this.watcher !== null && !this.stopped,
      openedAt: this.openedAt,
      functions: m.functions.map((fn) => ({
        id: fn.id,
        task: fn.name,
        runtime: fn.runtime,
        last: this.functionState.get(fn.id) ?? null,
      })),
      routes: this.routes,
      lastReload: this.lastReload,
      notes: m.notes.map((n) => ({ file: n.at.file, line: n.at.line, message: n.message })),
      log: [...this.log],
    };
  }

  get project(): ProjectModel {
    return this.model;
  }

  /** Imports every function, publishes the routes, and prints where they answer. */
  async start(): Promise<void> {
    const m = this.model;
    this.note(
      `${m.file}: ${kindName(m)} with ${m.functions.length} function${m.functions.length === 1 ? "" : "s"} and ${m.routes.length} route${m.routes.length === 1 ? "" : "s"}`,
    );
    this.describeNotes(m);
    const failed: string[] = [];
    for (const fn of m.functions) {
      if (!(await this.deploy(fn, "import"))) failed.push(fn.id);
    }
    if (failed.length === m.functions.length && failed.length > 0) {
      throw new ProjectError("PROJECT_NOT_DEPLOYED", `no function of ${m.file} could be uploaded`);
    }
    await this.publishRoutes();
    if (this.o.inspect) await this.inspectAll();
  }

  /** Tasks this session put under the debugger, by name, with their ports. */
  private readonly inspected = new Map<string, number>();

  /** Puts each function not yet under the debugger there, and prints where a debugger attaches. */
  private async inspectAll(): Promise<void> {
    for (const fn of this.model.functions) {
      if (this.inspected.has(fn.name)) continue;
      try {
        const v = await this.conn.call("inspectTask", { task: fn.name });
        this.inspected.set(fn.name, v.port);
        this.note(
          `${fn.id}: debugger on ${v.host}:${v.port} (Chrome: chrome://inspect, "Configure…" ${v.host}:${v.port}; VS Code: attach to port ${v.port})`,
        );
      } catch (err) {
        this.note(`${fn.id}: ${(err as Error).message.replace(/^[A-Z_]+: /, "")}`);
      }
    }
  }

  /** Uploads one function when it changed; false (with the reason printed) when its code does not build. */
  private async deploy(fn: ProjectFunction, why: string): Promise<boolean> {
    const started = Date.now();
    const failed = (message: string, file: string | null, line: number | null): false => {
      this.functionState.set(fn.id, {
        at: new Date().toISOString(),
        ok: false,
        message,
        ...(file !== null ? { file } : {}),
        ...(line !== null ? { line } : {}),
      });
      return false;
    };
    let packed;
    try {
      packed = await packFunction(fn, this.model.dir);
    } catch (err) {
      if (err instanceof CodeError) {
        this.note(`${fn.id}: ${err.message}`);
        this.note(`${fn.id}: not uploaded; the code already in Hearth keeps serving`);
        return failed(err.detail, err.file, err.line);
      }
      if (err instanceof Error && "code" in err) {
        this.note(`${fn.id}: ${err.message}`);
        return failed(err.message, null, null);
      }
      throw err;
    }
    const sha = createHash("sha256").update(packed.zip).digest("hex");
    if (why !== "import" && this.uploaded.get(fn.id) === `${sha}:${JSON.stringify(configOf(fn))}`)
      return true;
    const existing = await this.conn.call("listTasks", {});
    const task = existing.find(
      (t: TaskView): t is OwnedTaskView => t.access === "owner" && t.name === fn.name,
    );
    const zipBase64 = packed.zip.toString("base64");
    try {
      if (!task) {
        await this.conn.call("importTask", { zipBase64, manifest: { name: fn.name, ...configOf(fn) } });
      } else {
        if (!sameConfig(task, fn)) await this.conn.call("configureTask", { task: fn.name, ...configOf(fn) });
        await this.conn.call("updateTaskCode", { task: fn.name, zipBase64 });
      }
    } catch (err) {
      // Hearth refused it (a field out of range, say): the function is left as it was, the others go on.
      const message = (err as Error).message.replace(/^[A-Z_]+: /, "");
      this.note(`${fn.id}: not uploaded: ${message}`);
      return failed(message, null, null);
    }
    this.uploaded.set(fn.id, `${sha}:${JSON.stringify(configOf(fn))}`);
    const what = packed.bundled
      ? `bundled ${fn.bundle!.entry}`
      : `${packed.files} file${packed.files === 1 ? "" : "s"}`;
    const ms = Date.now() - started;
    this.functionState.set(fn.id, {
      at: new Date().toISOString(),
      ok: true,
      message: `${task ? "updated" : "created"} (${what}, ${formatBytes(packed.zip.length)}) in ${ms} ms`,
    });
    this.note(
      `${fn.id} → task ${fn.name}: ${task ? "updated" : "created"} (${fn.runtime}, ${what}, ${formatBytes(packed.zip.length)}) in ${ms} ms${why === "import" ? "" : ` after ${why}`}`,
    );
    return true;
  }

  private async publishRoutes(): Promise<void> {
    const m = this.model;
    if (m.routes.length === 0) return;
    const byId = new Map(m.functions.map((f) => [f.id, f.name]));
    const apis = await this.conn.call("listApis", {});
    const mine = apis.find((a: ApiView) => a.name === m.apiName);
    const routes = withKeptAuthorizers(
      m.routes
        .filter((r) => byId.has(r.functionId))
        .map((r) => ({ routeKey: r.routeKey, target: { task: byId.get(r.functionId)! } })),
      mine,
    );
    let api: ApiView;
    try {
      api = mine
        ? await this.conn.call("updateApi", { apiId: mine.id, routes, access: this.o.access })
        : await this.conn.call("createApi", {
            name: m.apiName,
            description: `from ${join(m.dir, m.file)}`,
            access: this.o.access,
            routes,
          });
    } catch (err) {
      if ((err as { code?: string }).code === "API_EXISTS") {
        throw new ProjectError(
          "API_EXISTS",
          `another profile has an API named "${m.apiName}"; name this project's API with --api-name NAME`,
        );
      }
      throw err;
    }
    const base = `${this.conn.baseUrl.replace(/\/$/, "")}${api.path}`;
    this.routes = m.routes.map((r) => {
      const [method, path] = r.routeKey === "$default" ? ["ANY", "/"] : r.routeKey.split(" ");
      return { method: method!, path: `${api.path}${path}`, task: byId.get(r.functionId) ?? r.functionId };
    });
    this.out(`API ${api.name} (${api.access === "public" ? "public on this port" : "token required"}):`);
    for (const r of m.routes) {
      const [method, path] = r.routeKey === "$default" ? ["ANY", "/…"] : r.routeKey.split(" ");
      this.out(`  ${method!.padEnd(6)} ${base}${path}  → ${byId.get(r.functionId) ?? r.functionId}`);
    }
  }

  /** Follows the project's files until stop(). */
  watch(): void {
    this.watcher = watch(this.dir, { recursive: true }, (_event, name) => {
      if (!name) return;
      const path = name.toString().split(sep).join("/");
      if (skippedPath(path) || path.split("/").includes("node_modules")) return;
      this.pending.add(path);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), this.o.settleMs ?? 150);
    });
    this.note(`watching ${this.dir} for changes`);
  }

  private flush(): void {
    const changed = [...this.pending];
    this.pending.clear();
    this.running = this.running
      .then(() => this.reload(changed))
      .catch((err: unknown) => {
        const message = (err as Error).message;
        this.lastReload = { at: new Date().toISOString(), changed, ok: false, message };
        this.note(`reload failed: ${message}`);
      });
  }

  private async reload(changed: string[]): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const shown =
      changed.length > 3
        ? `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more`
        : changed.join(", ");
    const done = (ok: boolean, message: string, at?: { file: string; line: number }): void => {
      this.lastReload = {
        at: new Date().toISOString(),
        changed,
        ok,
        message,
        durationMs: Date.now() - started,
        ...(at ? { file: at.file, line: at.line } : {}),
      };
    };
    if (changed.includes(this.model.file)) {
      let next: ProjectModel;
      try {
        next = readProject(this.dir, this.o);
      } catch (err) {
        const message = (err as Error).message.replace(/^[A-Z_]+: /, "");
        this.note(
          `${this.model.file} changed but cannot be read: ${message}; the running tasks stay as they were`,
        );
        done(false, message, err instanceof ProjectError ? err.at : undefined);
        return;
      }
      this.model = next;
      this.note(
        `${next.file} changed: re-importing ${next.functions.length} function${next.functions.length === 1 ? "" : "s"}`,
      );
      this.describeNotes(next);
      let ok = true;
      for (const fn of next.functions) ok = (await this.deploy(fn, `${next.file} changed`)) && ok;
      await this.publishRoutes();
      if (this.o.inspect) await this.inspectAll();
      done(ok, `${next.file} re-imported`);
      return;
    }
    const touched = this.model.functions.filter((fn) =>
      changed.some((p) => {
        const rel = relative(fn.codeDir, join(this.dir, p));
        return !rel.startsWith("..") && rel !== "";
      }),
    );
    if (touched.length === 0) return;
    const failed: ProjectFunction[] = [];
    for (const fn of touched) if (!(await this.deploy(fn, `${shown} changed`))) failed.push(fn);
    const first = failed[0] ? this.functionState.get(failed[0].id) : null;
    if (first && !first.ok) {
      done(
        false,
        `${failed.map((f) => f.id).join(", ")}: ${first.message}`,
        first.file !== undefined ? { file: first.file, line: first.line ?? 0 } : undefined,
      );
    } else done(true, `${touched.map((f) => f.id).join(", ")} reloaded`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    // The debugger goes with the session; the tasks, their usual sandboxes and the API stay.
    for (const task of this.inspected.keys())
      await this.conn.call("stopInspectTask", { task }).catch(() => undefined);
    this.inspected.clear();
  }
}
