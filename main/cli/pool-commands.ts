// `hearth pool`: the running Hearth's VMs, whose each is, what state it is in, how fast it came up.
import type { Command } from "commander";
import type { PoolHistoryView, PoolStatus, ProfileView } from "../contract.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { formatAge, print, table } from "./output.ts";

export function formatPool(pool: PoolStatus, profiles: ProfileView[], now: number): string {
  const names = new Map(profiles.map((p) => [p.id, p.name]));
  const t = pool.template;
  const figures = [
    t.templateBootMs !== undefined ? `template boot ${Math.round(t.templateBootMs)} ms` : null,
    t.templateSaveMs !== undefined ? `save ${Math.round(t.templateSaveMs)} ms` : null,
  ].filter((x) => x !== null);
  const head = `accel ${pool.accel} · image ${pool.image.slice(0, 12)}${figures.length ? ` · ${figures.join(", ")}` : ""}`;
  const failing = pool.warming.flatMap((w) =>
    w.failing !== undefined ? [`${names.get(w.profile) ?? w.profile}: VMs fail to start: ${w.failing}`] : [],
  );
  const problems = failing.length ? `\n${failing.join("\n")}` : "";
  if (pool.vms.length === 0)
    return `${head}\nno VMs yet: they start for a profile once it has one${problems}`;
  const rows = pool.vms.map((vm) => {
    const created = typeof vm.createdAt === "number" ? vm.createdAt : Date.parse(String(vm.createdAt));
    return [
      typeof vm.name === "string" ? vm.name : vm.id,
      names.get(vm.profile) ?? vm.profile,
      vm.state,
      typeof vm.origin === "string" ? vm.origin : "-",
      typeof vm.readyMs === "number" ? `${vm.readyMs} ms` : "-",
      Number.isFinite(created) ? formatAge(now - created) : "-",
    ];
  });
  return `${head}\n${table(["NAME", "PROFILE", "STATE", "ORIGIN", "READY", "AGE"], rows)}${problems}`;
}

/** The pool over time as text: per VM its newest point and its peaks, then VM starts per hour. */
export function formatPoolHistory(h: PoolHistoryView): string {
  const lines = [`${new Date(h.since).toISOString()} to ${new Date(h.until).toISOString()}`];
  if (h.vms.length === 0) lines.push("no VM was sampled in this range");
  else {
    const rows = h.vms.map((v) => {
      const last = v.points.at(-1)!;
      const peak = (k: "pssMb" | "guestUsedMb" | "cpuPct"): string => {
        const xs = v.points.flatMap((p) => (p[k] === null ? [] : [p[k]]));
        return xs.length ? String(Math.max(...xs)) : "-";
      };
      return [
        v.vm,
        v.profile,
        peak("pssMb"),
        peak("guestUsedMb"),
        peak("cpuPct"),
        String(last.sandboxes),
        String(last.calls),
      ];
    });
    lines.push(
      table(["VM", "PROFILE", "PSS MB (max)", "GUEST MB (max)", "CPU % (max)", "SANDBOXES", "CALLS"], rows),
    );
  }
  if (h.starts.length > 0) {
    lines.push("");
    lines.push(
      table(
        ["HOUR", "BOOTS", "RESTORES"],
        h.starts.map((s) => [
          new Date(s.t).toISOString().slice(0, 13) + ":00Z",
          String(s.boots),
          String(s.restores),
        ]),
      ),
    );
  }
  return lines.join("\n");
}

export function registerPoolCommands(program: Command): void {
  const pool = withJson(
    program
      .command("pool")
      .description("the running Hearth's VMs (all profiles' with the owner key, else the profile's)"),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await connect(o, "any");
    const pool = await conn.call("pool", {});
    if (o.json) return print(true, pool, () => "");
    // Names make the table readable; without the right to list profiles, ids do.
    const profiles = await conn.call("listProfiles", {}).catch(() => []);
    print(false, pool, () => formatPool(pool, profiles, Date.now()));
  });
  withJson(
    pool
      .command("history")
      .description(
        "the pool over time: each VM's memory (QEMU PSS, guest), CPU, sandboxes and calls; starts per hour",
      )
      .option("--since <time>", "from this long ago (15m, 1h, 24h, 7d) or this ISO time (default 1h)")
      .option("--until <time>", "up to this long ago or this ISO time (default now)"),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf<{ since?: string; until?: string }>(cmd);
    const conn = await connect(o, "any");
    const h = await conn.call("poolHistory", {
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
    });
    print(o.json, h, () => formatPoolHistory(h));
  });
}
