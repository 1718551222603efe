// `hearth dev`: a project's functions as tasks and its HTTP events as an API on the local port, kept in step with
// the project's files while it runs. A save uploads the functions it touched; Hearth loads the new code beside the
// warm old one, which serves until the new is ready. Code that does not build or parse is shown with its file and
// line and never uploaded, so the old code keeps serving.
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { join, relative, sep } from "node:path";
import type { ApiView, OwnedTaskView, TaskView } from "../contract.ts";
import { readProject, type ProjectOptions } from "../project/read-project.ts";
import { ProjectError, type ProjectFunction, type ProjectModel } from "../project/project-model.ts";
import type { Connection } from "./connection.ts";
import { CodeError, packFunction, skippedPath } from "./dev-package.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { formatBytes, note, out } from "./output.ts";

export interface DevOptions extends ProjectOptions {
  access: "public" | "token";
  watch: boolean;
  /** Milliseconds of quiet after a change before reloading (an editor writes a file in several steps). */
  settleMs?: number;
  /** Put every Node.js function under the debugger, each on its own port of 127.0.0.1. */
  inspect?: boolean;
}

/** A ProjectError as the CLI reports it: refused, at the file and line. */
function projectFailure(err: unknown): unknown {
  if (err instanceof ProjectError) {
    return new CliError(err.code, err.message.replace(/^[A-Z_]+: /, ""), EXIT.refused, {
      hint: "fix the project file and run hearth dev again",
    });
  }
  return err;
}

function describeNotes(model: ProjectModel): void {
  for (const n of model.notes) note(`${n.at.file}:${n.at.line}: ${n.message}`);
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

export class DevSession {
  private model: ProjectModel;
  private watcher: FSWatcher | null = null;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The zip last uploaded per function: an editor's temporary files change nothing worth a new load. */
  private readonly uploaded = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly conn: Connection,
    private readonly o: DevOptions,
  ) {
    try {
      this.model = readProject(dir, o);
    } catch (err) {
      throw projectFailure(err);
    }
  }

  get project(): ProjectModel {
    return this.model;
  }

  /** Imports every function, publishes the routes, and prints where they answer. */
  async start(): Promise<void> {
    const m = this.model;
    note(
      `${m.file}: ${m.kind === "sam" ? "AWS SAM template" : m.kind === "serverless" ? "Serverless service" : "Hearth task"} with ${m.functions.length} function${m.functions.length === 1 ? "" : "s"} and ${m.routes.length} route${m.routes.length === 1 ? "" : "s"}`,
    );
    describeNotes(m);
    const failed: string[] = [];
    for (const fn of m.functions) {
      if (!(await this.deploy(fn, "import"))) failed.push(fn.id);
    }
    if (failed.length === m.functions.length && failed.length > 0) {
      throw new CliError("PROJECT_NOT_DEPLOYED", `no function of ${m.file} could be uploaded`, EXIT.refused);
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
        note(
          `${fn.id}: debugger on ${v.host}:${v.port} (Chrome: chrome://inspect, "Configure…" ${v.host}:${v.port}; VS Code: attach to port ${v.port})`,
        );
      } catch (err) {
        note(`${fn.id}: ${(err as Error).message.replace(/^[A-Z_]+: /, "")}`);
      }
    }
  }

  /** Uploads one function when it changed; false (with the reason printed) when its code does not build. */
  private async deploy(fn: ProjectFunction, why: string): Promise<boolean> {
    const started = Date.now();
    let packed;
    try {
      packed = await packFunction(fn, this.model.dir);
    } catch (err) {
      if (err instanceof CodeError) {
        note(`${fn.id}: ${err.message}`);
        note(`${fn.id}: not uploaded; the code already in Hearth keeps serving`);
        return false;
      }
      if (err instanceof Error && "code" in err) {
        note(`${fn.id}: ${err.message}`);
        return false;
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
    if (!task) {
      await this.conn.call("importTask", { zipBase64, manifest: { name: fn.name, ...configOf(fn) } });
    } else {
      if (!sameConfig(task, fn)) await this.conn.call("configureTask", { task: fn.name, ...configOf(fn) });
      await this.conn.call("updateTaskCode", { task: fn.name, zipBase64 });
    }
    this.uploaded.set(fn.id, `${sha}:${JSON.stringify(configOf(fn))}`);
    const what = packed.bundled
      ? `bundled ${fn.bundle!.entry}`
      : `${packed.files} file${packed.files === 1 ? "" : "s"}`;
    note(
      `${fn.id} → task ${fn.name}: ${task ? "updated" : "created"} (${fn.runtime}, ${what}, ${formatBytes(packed.zip.length)}) in ${Date.now() - started} ms${why === "import" ? "" : ` after ${why}`}`,
    );
    return true;
  }

  private async publishRoutes(): Promise<void> {
    const m = this.model;
    if (m.routes.length === 0) return;
    const byId = new Map(m.functions.map((f) => [f.id, f.name]));
    const routes = m.routes
      .filter((r) => byId.has(r.functionId))
      .map((r) => ({ routeKey: r.routeKey, target: { task: byId.get(r.functionId)! } }));
    const apis = await this.conn.call("listApis", {});
    const mine = apis.find((a: ApiView) => a.name === m.apiName);
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
        throw new CliError("API_EXISTS", `another profile has an API named "${m.apiName}"`, EXIT.refused, {
          hint: "name this project's API with --api-name NAME",
        });
      }
      throw err;
    }
    const base = `${this.conn.url.replace(/\/$/, "")}${api.path}`;
    out(`API ${api.name} (${api.access === "public" ? "public on this port" : "token required"}):`);
    for (const r of m.routes) {
      const [method, path] = r.routeKey === "$default" ? ["ANY", "/…"] : r.routeKey.split(" ");
      out(`  ${method!.padEnd(6)} ${base}${path}  → ${byId.get(r.functionId) ?? r.functionId}`);
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
    note(`watching ${this.dir} for changes (Ctrl+C stops; the tasks and the API stay)`);
  }

  private flush(): void {
    const changed = [...this.pending];
    this.pending.clear();
    this.running = this.running
      .then(() => this.reload(changed))
      .catch((err: unknown) => {
        note(`reload failed: ${(err as Error).message}`);
      });
  }

  private async reload(changed: string[]): Promise<void> {
    if (this.stopped) return;
    const shown =
      changed.length > 3
        ? `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more`
        : changed.join(", ");
    if (changed.includes(this.model.file)) {
      let next: ProjectModel;
      try {
        next = readProject(this.dir, this.o);
      } catch (err) {
        const e = projectFailure(err) as Error;
        note(
          `${this.model.file} changed but cannot be read: ${e.message.replace(/^[A-Z_]+: /, "")}; the running tasks stay as they were`,
        );
        return;
      }
      this.model = next;
      note(
        `${next.file} changed: re-importing ${next.functions.length} function${next.functions.length === 1 ? "" : "s"}`,
      );
      describeNotes(next);
      for (const fn of next.functions) await this.deploy(fn, `${next.file} changed`);
      await this.publishRoutes();
      if (this.o.inspect) await this.inspectAll();
      return;
    }
    const touched = this.model.functions.filter((fn) =>
      changed.some((p) => {
        const rel = relative(fn.codeDir, join(this.dir, p));
        return !rel.startsWith("..") && rel !== "";
      }),
    );
    for (const fn of touched) await this.deploy(fn, `${shown} changed`);
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
