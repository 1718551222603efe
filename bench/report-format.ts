// Turns the benchmarks' JSON results into markdown: one section per benchmark and the whole report, headed by the
// machine. Pure functions over parsed JSON, so a result of an older or partial run still renders (as "–").
import { machineLine, type Machine } from "./machine.ts";

/** The benchmarks in report order, with what each measures. */
export const SECTIONS = [
  ["peers", "Hearth against the floor and serverless-offline (AWS SDK v3 client)"],
  ["engine", "Warm invocations through the engine and over HTTP"],
  ["http", "The HTTP port under autocannon"],
  ["guest", "Guest image: boot, round trips, memory"],
  ["pool", "Pool: boot, restore, replacement, memory, VMs sustained"],
  ["memory", "Idle profiles: memory per VM and in all, scale to zero"],
  ["deploy", "Deploy under load"],
  ["cold", "Cold paths"],
  ["remote", "A shared alias called from a teammate's Hearth"],
  ["cli", "The `hearth` command, from spawn to exit"],
] as const;
export type SectionName = (typeof SECTIONS)[number][0];

export interface BenchInput {
  /** The parsed bench-results/<name>.json, or undefined when the file is missing. */
  data?: unknown;
  /** When it was written (its `date`, else the file's time). */
  date?: string;
  /** Why it could not be read. */
  error?: string;
}

export interface BenchRun {
  name: string;
  seconds: number;
  exitCode: number | null;
}

type Path = (string | number)[];
function at(o: unknown, ...path: Path): unknown {
  let cur = o;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
const num = (o: unknown, ...path: Path): number | undefined => {
  const v = at(o, ...path);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};
const str = (o: unknown, ...path: Path): string | undefined => {
  const v = at(o, ...path);
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
};
const arr = (o: unknown, ...path: Path): unknown[] => {
  const v = at(o, ...path);
  return Array.isArray(v) ? v : [];
};
const obj = (o: unknown, ...path: Path): Record<string, unknown> => {
  const v = at(o, ...path);
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
};

/** A number as a cell: "–" when missing, `digits` decimals. */
export function cell(x: number | undefined, digits = 0): string {
  return x === undefined ? "–" : x.toFixed(digits);
}
const times = (x: number | undefined): string => (x === undefined ? "n/a" : `${x.toFixed(2)}×`);
const esc = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const table = (head: string[], align: string[], rows: string[][]): string[] => [
  `| ${head.join(" | ")} |`,
  `|${align.join("|")}|`,
  ...rows.map((r) => `| ${r.join(" | ")} |`),
];
/** median (min–max) of a summary object {median,min,max,n}. */
const spread = (o: unknown, digits = 0): string =>
  num(o, "n")
    ? `${cell(num(o, "median"), digits)} (${cell(num(o, "min"), digits)}–${cell(num(o, "max"), digits)})`
    : "–";

function peers(d: unknown): string[] {
  const c = num(d, "settings", "concurrency") ?? 8;
  const rows = arr(d, "results").map((r) =>
    str(r, "error") && !at(r, "sequential")
      ? [
          esc(str(r, "label") ?? str(r, "target") ?? "?"),
          `did not run: ${esc(str(r, "error")!.split("\n")[0]!)}`,
          "",
          "",
          "",
          "",
          "",
        ]
      : [
          esc(str(r, "label") ?? "?"),
          cell(num(r, "sequential", "p50"), 2),
          cell(num(r, "sequential", "p90"), 2),
          cell(num(r, "sequential", "p99"), 2),
          cell(num(r, "sequential", "perSecond")),
          cell(num(r, "concurrent", "perSecond")),
          String((num(r, "sequential", "failed") ?? 0) + (num(r, "concurrent", "failed") ?? 0)),
        ],
  );
  const ratios = arr(d, "ratios").map((r) => [
    esc(str(r, "name") ?? "?"),
    times(num(r, "p50")),
    times(num(r, "p99")),
    times(num(r, "throughput")),
  ]);
  return [
    `Sequential latency (${num(d, "settings", "invokes") ?? "?"} calls) and throughput at c=${c}, one AWS SDK v3 ` +
      `client per target (@aws-sdk/client-lambda ${str(d, "versions", "@aws-sdk/client-lambda") ?? "?"}).`,
    "",
    ...table(
      ["target", "p50 ms", "p90 ms", "p99 ms", "req/s sequential", `req/s at c=${c}`, "failed"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:"],
      rows,
    ),
    "",
    ...table(["ratio", "p50", "p99", `req/s at c=${c}`], ["---", "---:", "---:", "---:"], ratios),
    ...(num(d, "targets", "warmup", "warmupP50") !== undefined
      ? [
          "",
          `Warm-up: Hearth's calls 1–${cell(num(d, "targets", "warmup", "calls"))} after its first invocation ` +
            `p50 ${cell(num(d, "targets", "warmup", "warmupP50"), 2)} ms, steady p50 ` +
            `${cell(num(d, "targets", "warmup", "steadyP50"), 2)} ms.`,
        ]
      : []),
  ];
}

function engine(d: unknown): string[] {
  return [
    `First invocation (VM from the pool + sandbox load): ${cell(num(d, "firstInvokeMs", "total"))} ms.`,
    `Keeping each call's record (metrics and timeline): p50 ${cell(num(d, "recording", "p50Us"), 1)} µs, ` +
      `p99 ${cell(num(d, "recording", "p99Us"), 1)} µs (n=${cell(num(d, "recording", "n"))}).`,
    "",
    ...table(
      ["path", "n", "p50 ms", "p90 ms", "p99 ms", "req/s"],
      ["---", "---:", "---:", "---:", "---:", "---:"],
      [
        ["engine, in-process, sequential", "warm"],
        [
          `engine, in-process, sequential, ${num(d, "warmPaused", "pauseMs") ?? "?"} ms idle before each call`,
          "warmPaused",
        ],
        ["HTTP, AWS SDK v3 InvokeCommand, sequential", "httpSdk"],
      ].map(([label, k]) => [
        label!,
        cell(num(d, k!, "n")),
        cell(num(d, k!, "p50"), 2),
        cell(num(d, k!, "p90"), 2),
        cell(num(d, k!, "p99"), 2),
        cell(num(d, k!, "perSecond")),
      ]),
    ),
  ];
}

function http(d: unknown): string[] {
  return [
    `autocannon, ${num(d, "duration") ?? "?"} s per row.`,
    "",
    ...table(
      ["route", "connections", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "non-2xx"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
      arr(d, "rows").map((r) => [
        esc(str(r, "route") ?? "?"),
        cell(num(r, "connections")),
        cell(num(r, "perSecond")),
        cell(num(r, "p50")),
        cell(num(r, "p90")),
        cell(num(r, "p99")),
        cell(num(r, "errors")),
        cell(num(r, "non2xx")),
      ]),
    ),
  ];
}

function guest(d: unknown): string[] {
  const layouts = Object.entries(obj(d, "layouts"));
  const first = layouts[0]?.[1];
  return [
    ...table(
      ["layout", "accel", "runs", "create → agent ready, median ms", "idle QEMU RSS MiB", "guest used MiB"],
      ["---", "---", "---:", "---:", "---:", "---:"],
      layouts.map(([name, l]) => [
        esc(name),
        str(l, "accel") ?? "?",
        cell(num(l, "runs")),
        cell(num(l, "readyMsMedian")),
        cell(num(l, "idle", "qemuRssMiB")),
        cell(num(l, "idle", "guestUsedMiB")),
      ]),
    ),
    ...(num(first, "warmInvokeMs", "p50") !== undefined
      ? [
          "",
          `Ping p50 ${cell(num(first, "pingRttUs", "p50"))} µs; warm echo round trip host → sandbox → host ` +
            `p50 ${cell(num(first, "warmInvokeMs", "p50"), 2)} ms, p99 ${cell(num(first, "warmInvokeMs", "p99"), 2)} ms.`,
        ]
      : []),
  ];
}

function remote(d: unknown): string[] {
  return table(
    ["path", "n", "p50 ms", "p90 ms", "p99 ms", "failed"],
    ["---", "---:", "---:", "---:", "---:", "---:"],
    [
      ["local: the owner's port", "local"],
      ["remote: teammate's port → pinned TLS → owner's shared listener", "remote"],
    ].map(([label, k]) => [
      label!,
      cell(num(d, k!, "n")),
      cell(num(d, k!, "p50"), 2),
      cell(num(d, k!, "p90"), 2),
      cell(num(d, k!, "p99"), 2),
      cell(num(d, k!, "failed")),
    ]),
  );
}

export function poolSection(d: unknown): string[] {
  const row = (label: string, s: unknown, note = ""): string[] => [
    label,
    cell(num(s, "n")),
    cell(num(s, "median")),
    cell(num(s, "min")),
    cell(num(s, "max")),
    note,
  ];
  const origins = arr(d, "restore", "origins").join("/") || "–";
  const last = arr(d, "sustain", "steps").at(-1);
  const sustained = num(d, "sustain", "sustained");
  return [
    ...table(
      ["measure", "n", "median ms", "min ms", "max ms", "note"],
      ["---", "---:", "---:", "---:", "---:", "---"],
      [
        row("boot → agent ready", at(d, "boot", "readyMs"), "every VM booted"),
        row(
          "restore → agent ready and synced",
          at(d, "restore", "readyMs"),
          `from: ${origins}; the template: boot ${cell(num(d, "template", "bootMs"))} ms + save ` +
            `${cell(num(d, "template", "saveMs"))} ms, once per image`,
        ),
        row("libvirt restore call alone", at(d, "restore", "restoreCallMs")),
        row("QEMU killed → pool marks the VM failed", at(d, "replaceKilled", "detectMs")),
        row("QEMU killed → a replacement is ready", at(d, "replaceKilled", "replaceMs")),
      ],
    ),
    "",
    ...table(
      ["memory per VM", "MiB, median (min–max)"],
      ["---", "---"],
      [
        ["idle: QEMU RSS on the host", spread(at(d, "memory", "idleQemuRssMiB"))],
        ["idle: guest used (total − available)", spread(at(d, "memory", "idleGuestUsedMiB"))],
        ["idle: agent RSS in the guest", spread(at(d, "memory", "idleAgentRssMiB"))],
        ["with a warm echo sandbox: QEMU RSS", spread(at(d, "memory", "withEchoQemuRssMiB"))],
        ["with a warm echo sandbox: guest used", spread(at(d, "memory", "withEchoGuestUsedMiB"))],
        ["the echo sandbox's RSS", spread(at(d, "memory", "echoSandboxRssMiB"))],
      ],
    ),
    "",
    `VMs sustained: **${sustained ?? "–"}** up at once (one profile each, each holding a warm echo sandbox that ` +
      `answers within ${cell(num(d, "sustain", "invokeBoundMs"))} ms, median of 3, all VMs at once); stopped: ` +
      `${str(d, "sustain", "stopReason") ?? "not run"}` +
      (last
        ? `. With ${cell(num(last, "n"))}: QEMU RSS ${cell(num(last, "qemuRssTotalMiB"))} MiB in all, ` +
          `${cell(num(last, "hostAvailableMiB"))} MiB free on the host, load ${cell(num(last, "load1"), 2)}, ` +
          `slowest VM ${cell(num(last, "worstInvokeMs"), 1)} ms.`
        : "."),
    ...(arr(d, "problems").length
      ? [
          "",
          "What the pool reported during the run:",
          ...arr(d, "problems")
            .slice(0, 10)
            .map((p) => `- ${esc(String(p))}`),
        ]
      : []),
    ...Object.entries(obj(d, "errors")).map(([k, v]) => `- ${k} did not finish: ${esc(String(v))}`),
  ];
}

const seconds = (d: unknown, key: string): string => {
  const v = num(d, "settings", key);
  return v === undefined ? "?" : String(v / 1000);
};

export function deploySection(d: unknown): string[] {
  const modes = arr(d, "modes");
  const rows = modes.flatMap((m) =>
    (["before", "during", "after"] as const).map((p) => {
      const s = at(m, "phases", p);
      const served = Object.entries(obj(s, "versions"))
        .map(([v, n]) => `v${v}×${String(n)}`)
        .join(" ");
      return [
        str(m, "mode") ?? "?",
        p,
        cell(num(s, "seconds"), 1),
        cell(num(s, "n")),
        cell(num(s, "p50"), 1),
        cell(num(s, "p99"), 1),
        cell(num(s, "max")),
        cell(num(s, "failed")),
        cell(num(s, "coldStarts")),
        served,
      ];
    }),
  );
  return [
    `${cell(num(d, "settings", "concurrency"))} closed loops calling an alias through the engine; the alias moves ` +
      "to a newly published version mid-run.",
    "",
    ...table(
      [
        "path",
        "phase",
        "s",
        "calls",
        "p50 ms",
        "p99 ms",
        "max ms",
        "failed",
        "waited for a load",
        "served by",
      ],
      ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---"],
      rows,
    ),
    "",
    ...modes.map(
      (m) =>
        `- ${str(m, "mode")}: ${str(m, "how") ?? ""}. First answer by the new version ` +
        `${cell(num(m, "firstNewMs"))} ms after the deploy, line moved after ${cell(num(m, "switchMs"))} ms` +
        (num(m, "restartMs") !== undefined ? `, calls held ${cell(num(m, "restartMs"))} ms` : "") +
        "." +
        (arr(m, "errors").length ? ` Errors: ${esc(arr(m, "errors").map(String).join("; "))}` : ""),
    ),
    ...Object.entries(obj(d, "errors")).map(([k, v]) => `- ${k} did not finish: ${esc(String(v))}`),
    "",
    ...table(
      [
        "path",
        "new version's share of calls 3–8 s after the deploy",
        "target",
        "p99 first 3 s / p99 before",
        "target",
        "verdict",
      ],
      ["---", "---:", "---:", "---:", "---:", "---"],
      modes
        .filter((m) => at(m, "target") !== undefined)
        .map((m) => {
          const share = num(m, "target", "newShareAfter3s");
          const ratio = num(m, "target", "p99MoveOverSteady");
          const failed =
            (num(m, "phases", "during", "failed") ?? 0) + (num(m, "phases", "after", "failed") ?? 0);
          const met =
            share !== undefined && ratio !== undefined && share >= 0.99 && ratio <= 2 && failed === 0;
          return [
            str(m, "mode") ?? "?",
            share === undefined ? "–" : `${(share * 100).toFixed(1)} % of ${cell(num(m, "target", "n"))}`,
            "≥ 99 %",
            ratio === undefined ? "–" : `${ratio.toFixed(2)}×`,
            "≤ 2×",
            share === undefined || ratio === undefined ? "not run" : met ? "met" : "not met",
          ];
        }),
    ),
    "",
    `Phases: before = the last ${seconds(d, "beforeMs")} s before the deploy; ` +
      "during = calls begun from the deploy until the line has moved (the latest of: the old version's last call " +
      "began, the new version's first answer, a call that waited for a sandbox load ended); after = the next " +
      `${seconds(d, "afterMs")} s.`,
  ];
}

export function coldSection(d: unknown): string[] {
  const row = (label: string, k: string): string[] => {
    const s = at(d, k);
    if (!s) return [label, "not run", "0", "–", "–", "–", "–", "–", "–"];
    return [
      label,
      arr(s, "origins").join("/") || "–",
      cell(num(s, "totalMs", "n")),
      cell(num(s, "totalMs", "median")),
      cell(num(s, "totalMs", "min")),
      cell(num(s, "totalMs", "max")),
      num(s, "vmReadyMs", "n") ? cell(num(s, "vmReadyMs", "median")) : "–",
      cell(num(s, "invokeRoundTripMs", "median")),
      `${cell(num(s, "coldStarts"))}/${cell(num(s, "totalMs", "n"))}`,
    ];
  };
  return [
    ...table(
      [
        "invocation finds",
        "VM from",
        "n",
        "median ms",
        "min ms",
        "max ms",
        "of which VM to ready, median ms",
        "of which the first call in the new sandbox, median ms",
        "cold starts",
      ],
      ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
      [
        row("no warm sandbox, a ready VM that sat 3 s in the pool (code loaded into it)", "readyVm"),
        row("no ready VM: the pool restores one from its template", "noVmRestore"),
        row("no ready VM: a pool that always boots", "noVmBoot"),
        row("a fresh data directory: no template yet (it is saved in the background)", "freshInstall"),
      ],
    ),
    "",
    `The template (once per image and data directory): boot ${cell(num(d, "template", "bootMs"))} ms + save ` +
      `${cell(num(d, "template", "saveMs"))} ms.`,
    ...(at(d, "freshInstall")
      ? [
          `First invocation on a fresh data directory beyond its VM's boot to ready: median ` +
            `${cell(num(d, "freshInstall", "overBootMs", "median"))} ms (target ≤ 1500 ms).`,
        ]
      : []),
    ...Object.entries(obj(d, "errors")).map(([k, v]) => `- ${k} did not finish: ${esc(String(v))}`),
  ];
}

/** What issue 17 asks of the `hearth` command on these machines, from spawning it to its exit (medians). */
export const CLI_TARGETS_MS = { version: 150, invoke: 300, taskLs: 250 } as const;

export function cliSection(d: unknown): string[] {
  const row = (label: string, k: keyof typeof CLI_TARGETS_MS): string[] => {
    const median = num(d, k, "median");
    const target = CLI_TARGETS_MS[k];
    const verdict = median === undefined ? "not run" : median <= target ? "met" : "missed";
    return [label, cell(num(d, k, "n")), spread(at(d, k)), `≤ ${target}`, verdict];
  };
  return [
    ...table(
      ["command", "n", "median (min–max) ms", "target ms", "target"],
      ["---", "---:", "---:", "---:", "---"],
      [
        row("`hearth --version`", "version"),
        row("`hearth invoke echo` of a warm task", "invoke"),
        row("`hearth task ls`", "taskLs"),
      ],
    ),
    "",
    "Each from spawning `node bin/hearth.mjs` to its exit, against one `hearth serve` on a fresh data directory " +
      "(`--version` before the server starts). Node's own start (`node -e 0`), the floor under each: " +
      `${spread(at(d, "node"))} ms.`,
    ...Object.entries(obj(d, "errors")).map(([k, v]) => `- ${k} did not finish: ${esc(String(v))}`),
  ];
}

/** The idle-memory targets: one idle VM's QEMU PSS, ten idle profiles' in all, the next call after zero. */
export const MEMORY_TARGETS = { idleVmPssMiB: 200, tenProfilesPssMiB: 2048, fromZeroMs: 1500 } as const;

const verdict = (measured: number | undefined, target: number): string =>
  measured === undefined ? "not run" : measured <= target ? "met" : "not met";

export function memorySection(d: unknown): string[] {
  const rows = arr(d, "idle").map((s) => {
    const per = arr(s, "perVmPssMiB").filter((x): x is number => typeof x === "number");
    const sorted = [...per].sort((a, b) => a - b);
    return [
      cell(num(s, "profiles")),
      cell(num(s, "vms")),
      `${cell(num(s, "squeezed"))}/${cell(num(s, "vms"))}`,
      per.length ? cell(sorted[Math.floor((sorted.length - 1) / 2)]) : "–",
      per.length ? `${cell(sorted[0])}–${cell(sorted.at(-1))}` : "–",
      cell(num(s, "totalPssMiB")),
      cell(num(s, "idleSeconds")),
    ];
  });
  const t = (k: keyof typeof MEMORY_TARGETS, label: string, unit: string): string[] => {
    const measured = num(d, "targets", k, "measured");
    return [
      label,
      `${cell(measured)} ${unit}`,
      `≤ ${MEMORY_TARGETS[k]} ${unit}`,
      verdict(measured, MEMORY_TARGETS[k]),
    ];
  };
  return [
    `Each profile ran echo-node once (a VM holding its sandbox, and the pool's spare), then was left idle; QEMU PSS ` +
      `from /proc/PID/smaps_rollup of a ${cell(num(d, "guestMiB"))} MiB guest.`,
    "",
    ...table(
      [
        "profiles",
        "VMs",
        "squeezed",
        "PSS per VM, median MiB",
        "per VM, range MiB",
        "PSS in all MiB",
        "idle s",
      ],
      ["---:", "---:", "---:", "---:", "---:", "---:", "---:"],
      rows,
    ),
    "",
    `Scale to zero, then the next call (restore + sandbox load + echo): ${spread(at(d, "fromZeroMs"))} ms over ` +
      `${cell(num(d, "fromZeroMs", "n"))} runs` +
      (arr(d, "fromZeroParts").length
        ? ` (of which the VM's restore to a synced agent: ${arr(d, "fromZeroParts")
            .map((p) => cell(num(p, "vmReadyMs")))
            .join(", ")} ms).`
        : "."),
    "",
    ...table(
      ["target", "measured", "target", "verdict"],
      ["---", "---:", "---:", "---"],
      [
        t("idleVmPssMiB", "an idle VM's QEMU PSS (the largest measured)", "MiB"),
        t("tenProfilesPssMiB", "ten idle profiles, QEMU PSS in all", "MiB"),
        t("fromZeroMs", "next call after scaling to zero (median)", "ms"),
      ],
    ),
  ];
}

export interface TargetRow {
  target: string;
  measured: number | null;
  unit: string;
  limit: string;
  /** null when a bench it needs did not run (or did not measure it). */
  met: boolean | null;
  bench: string;
}

/**
 * Every target of the idle-cost, deploy and host-share work, each computed from the numbers of this report's
 * runs: a row is "not run" when a bench it needs is missing. The host's share of a call takes two benches
 * (Hearth's p50 over HTTP from peers, the engine's in-process p50 from engine, the floor's p50 from peers).
 */
export function targetRows(inputs: Partial<Record<SectionName, BenchInput>>): TargetRow[] {
  const data = (n: SectionName): unknown => inputs[n]?.data;
  const peersD = data("peers");
  const result = (t: string): unknown => arr(peersD, "results").find((r) => str(r, "target") === t);
  const p50 = (t: string): number | undefined =>
    at(result(t), "error") === undefined ? num(result(t), "sequential", "p50") : undefined;
  const perSecond = (t: string): number | undefined =>
    at(result(t), "error") === undefined ? num(result(t), "concurrent", "perSecond") : undefined;
  const rows: TargetRow[] = [];
  const row = (
    target: string,
    measured: number | undefined,
    unit: string,
    limit: number,
    bench: string,
    atLeast = false,
  ): void => {
    rows.push({
      target,
      measured: measured ?? null,
      unit,
      limit: `${atLeast ? "≥" : "≤"} ${limit}${unit ? ` ${unit}` : ""}`,
      met: measured === undefined ? null : atLeast ? measured >= limit : measured <= limit,
      bench,
    });
  };
  const mem = data("memory");
  row("an idle VM's QEMU PSS", num(mem, "targets", "idleVmPssMiB", "measured"), "MiB", 200, "memory");
  row(
    "ten idle profiles, QEMU PSS in all",
    num(mem, "targets", "tenProfilesPssMiB", "measured"),
    "MiB",
    2048,
    "memory",
  );
  row("next call after scaling to zero", num(mem, "targets", "fromZeroMs", "measured"), "ms", 1500, "memory");
  row("keeping a call's record, p50", num(data("engine"), "recording", "p50Us"), "µs", 20, "engine");
  const modes = arr(data("deploy"), "modes").filter((m) => at(m, "target") !== undefined);
  const deploy = modes.find((m) => str(m, "mode") === "dynamic");
  const dc = `deploy at c=${num(data("deploy"), "settings", "concurrency") ?? 8}`;
  const share = num(deploy, "target", "newShareAfter3s");
  row(
    `${dc}: new version's share 3 s after the move`,
    share === undefined ? undefined : share * 100,
    "%",
    99,
    "deploy",
    true,
  );
  row(
    `${dc}: p99 during the move / steady p99`,
    num(deploy, "target", "p99MoveOverSteady"),
    "×",
    2,
    "deploy",
  );
  const failed =
    deploy === undefined
      ? undefined
      : (num(deploy, "phases", "during", "failed") ?? 0) + (num(deploy, "phases", "after", "failed") ?? 0);
  row(`${dc}: failed calls`, failed, "", 0, "deploy");
  const h = perSecond("hearth");
  const peer = perSecond("peer");
  row(
    `req/s at c=${cell(num(peersD, "settings", "concurrency"))}, Hearth / serverless-offline`,
    h !== undefined && peer ? h / peer : undefined,
    "×",
    1,
    "peers",
    true,
  );
  const hearthP50 = p50("hearth");
  const engineP50 = num(data("engine"), "warm", "p50");
  const floorP50 = p50("floor");
  const share50 = hearthP50 !== undefined && engineP50 !== undefined ? hearthP50 - engineP50 : undefined;
  rows.push({
    target: "host's share of a call: Hearth p50 over HTTP − engine in-process p50",
    measured: share50 ?? null,
    unit: "ms",
    limit:
      floorP50 === undefined ? "floor p50 + 0.3 ms" : `≤ ${(floorP50 + 0.3).toFixed(2)} ms (floor p50 + 0.3)`,
    met: share50 === undefined || floorP50 === undefined ? null : share50 <= floorP50 + 0.3,
    bench: "peers + engine",
  });
  const peerP50 = p50("peer");
  row(
    "sequential p50, Hearth / serverless-offline",
    hearthP50 !== undefined && peerP50 ? hearthP50 / peerP50 : undefined,
    "×",
    1,
    "peers",
  );
  row(
    "warm-up: p50 of a new sandbox's first calls / steady p50",
    num(peersD, "targets", "warmup", "ratio"),
    "×",
    1.5,
    "peers",
  );
  return rows;
}

function targetsTable(inputs: Partial<Record<SectionName, BenchInput>>): string[] {
  return table(
    ["target", "measured", "limit", "verdict", "from"],
    ["---", "---:", "---:", "---", "---"],
    targetRows(inputs).map((r) => [
      esc(r.target),
      r.measured === null
        ? "–"
        : `${r.measured.toFixed(Math.abs(r.measured) >= 100 || Number.isInteger(r.measured) ? 0 : 2)}${r.unit ? ` ${r.unit}` : ""}`,
      r.limit,
      r.met === null ? "not run" : r.met ? "met" : "not met",
      r.bench,
    ]),
  );
}

const RENDER: Record<SectionName, (d: unknown) => string[]> = {
  memory: memorySection,
  peers,
  engine,
  http,
  guest,
  pool: poolSection,
  deploy: deploySection,
  cold: coldSection,
  remote,
  cli: cliSection,
};

/** Every accel a result says it ran with: the report's header shows them all when they differ. */
export function accelsOf(inputs: Partial<Record<SectionName, BenchInput>>): string[] {
  const seen = new Set<string>();
  for (const i of Object.values(inputs)) {
    const a = str(i?.data, "machine", "accel");
    const name = a?.replace(/\s*\(.*$/, "");
    if (name && name !== "unknown") seen.add(name);
  }
  return [...seen].sort();
}

export interface Report {
  markdown: string;
  json: {
    date: string;
    machine: Machine;
    runs: BenchRun[];
    ratios: unknown[];
    targets: TargetRow[];
    benches: Record<string, { date?: string; error?: string; data?: unknown }>;
  };
}

/** The whole report: the machine, how long each bench took (when run together), then one section per bench. */
export function assembleReport(
  inputs: Partial<Record<SectionName, BenchInput>>,
  machine: Machine,
  runs: BenchRun[] = [],
): Report {
  const md: string[] = ["# Hearth benchmarks", "", machineLine(machine), ""];
  if (runs.length) {
    md.push(
      ...table(
        ["bench", "seconds", "exit"],
        ["---", "---:", "---:"],
        runs.map((r) => [r.name, cell(r.seconds), r.exitCode === null ? "killed" : String(r.exitCode)]),
      ),
      "",
    );
  }
  md.push("## Targets", "", ...targetsTable(inputs), "");
  const benches: Report["json"]["benches"] = {};
  for (const [name, title] of SECTIONS) {
    const input = inputs[name];
    md.push(`## ${title} (\`${name}\`)`, "");
    benches[name] = { ...(input?.date ? { date: input.date } : {}) };
    if (!input || (input.data === undefined && !input.error)) {
      md.push(`Not run: no bench-results/${name}.json (\`npm run bench:${name}\`).`, "");
      continue;
    }
    if (input.error) {
      benches[name]!.error = input.error;
      md.push(`Could not be read: ${esc(input.error)}`, "");
      continue;
    }
    benches[name]!.data = input.data;
    const m = at(input.data, "machine");
    const load = arr(m, "loadavg").length ? arr(m, "loadavg") : arr(m, "load", "start");
    md.push(
      `Run ${input.date ?? "at an unknown time"}` +
        (str(m, "accel") ? `, accel ${str(m, "accel")}` : "") +
        (load.length ? `, load ${load.join(" ")} at start` : "") +
        (num(input.data, "durationS") !== undefined ? `, ${cell(num(input.data, "durationS"))} s` : "") +
        ".",
      "",
    );
    try {
      md.push(...RENDER[name](input.data), "");
    } catch (err) {
      md.push(`Could not be rendered: ${esc((err as Error).message)}`, "");
    }
  }
  return {
    markdown: md.join("\n"),
    json: {
      date: machine.date,
      machine,
      runs,
      ratios: arr(inputs.peers?.data, "ratios"),
      targets: targetRows(inputs),
      benches,
    },
  };
}
