// `hearth pool`: the running Hearth's VMs, whose each is, what state it is in, how fast it came up.
import type { Command } from "commander";
import type { PoolStatus, ProfileView } from "../contract.ts";
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

export function registerPoolCommands(program: Command): void {
  withJson(
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
}
