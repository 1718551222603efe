// The guest's privileged helper, compiled from its source and run as root on this machine: a fresh file system per
// load of a slot, and a sandbox's /tmp bound only from a real folder of the sandbox's own uid.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const source = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "vm-images",
  "guest",
  "guestctl.c",
);
const why =
  process.getuid?.() !== 0
    ? "needs root to mount and change uids, as guestctl does in the guest"
    : spawnSync("gcc", ["--version"]).status !== 0
      ? "needs gcc, as the image build does"
      : null;

// Not under /tmp: a sandbox's /tmp is its own, and one test looks at the work folder from inside a sandbox.
const work = mkdtempSync("/var/tmp/hearth-guestctl-");
// As the guest's /var/sandboxes is: sandboxes may pass through, not look.
chmodSync(work, 0o711);
const guestctl = join(work, "guestctl");
const slot = join(work, "slot");
/** The guest's /var/sandboxes: a shared tmpfs holding each slot's (see sysinit). */
const shared = join(work, "sandboxes");

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(guestctl, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function owner(path: string): { uid: number; mode: string } {
  const st = lstatSync(path);
  return { uid: st.uid, mode: (st.mode & 0o7777).toString(8) };
}

const mounted = (path = slot): boolean =>
  readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[1] === path);

before(() => {
  if (why) return;
  const cc = spawnSync("gcc", ["-static", "-Os", "-Wall", "-o", guestctl, source], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  mkdirSync(slot);
});

after(() => {
  // Every file system the tests stacked on the slot's folder, detached.
  for (const path of [slot, join(shared, "1"), join(shared, "2"), shared])
    while (mounted(path)) spawnSync("umount", ["-l", path]);
  rmSync(work, { recursive: true, force: true });
});

describe("guestctl", { skip: why ?? false }, () => {
  test("fresh: a new tmpfs for each load, its root root's, the load's folders its uid's alone", () => {
    const r = run("fresh", slot, "8", "1000123");
    assert.equal(r.status, 0, r.stderr);
    assert.ok(mounted(), "the slot has no file system of its own");
    assert.deepEqual(owner(slot), { uid: 0, mode: "711" });
    assert.deepEqual(readdirSync(slot).sort(), ["home", "task", "tmp"]);
    for (const f of ["task", "tmp", "home"])
      assert.deepEqual(owner(join(slot, f)), { uid: 1000123, mode: "700" });
  });

  test("fresh again: nothing of the last load is followed or left, and a holder of the old keeps only the old", () => {
    writeFileSync(join(slot, "tmp", "secret"), "of the first load");
    const outside = join(work, "outside");
    writeFileSync(outside, "not the slot's");
    symlinkSync(outside, join(slot, "home", "link"));
    symlinkSync(work, join(slot, "task", "dir-link"));
    // What a process of the first load that outlived it would hold.
    const held = openSync(join(slot, "tmp"), "r");
    try {
      const r = run("fresh", slot, "8", "1000124");
      assert.equal(r.status, 0, r.stderr);
      for (const f of ["task", "tmp", "home"]) {
        assert.deepEqual(owner(join(slot, f)), { uid: 1000124, mode: "700" });
        assert.deepEqual(readdirSync(join(slot, f)), [], `${f} is not empty`);
      }
      assert.equal(readFileSync(outside, "utf8"), "not the slot's");
      assert.ok(readdirSync(work).includes("guestctl"), "a link's target was removed");
      // The held folder is the detached file system's: it still has its file, the new one does not.
      assert.deepEqual(readdirSync(`/proc/self/fd/${held}`), ["secret"]);
    } finally {
      closeSync(held);
    }
    const empty = run("fresh", slot, "8");
    assert.equal(empty.status, 0, empty.stderr);
    assert.deepEqual(readdirSync(slot), []);
    assert.deepEqual(owner(slot), { uid: 0, mode: "711" });
  });

  test("enter: /tmp is the slot's tmp of the sandbox's own uid, never a link or another uid's folder", () => {
    assert.equal(run("fresh", slot, "8", "1000125").status, 0);
    const ok = run("enter", join(slot, "tmp"), "1000125", "/bin/sh", "-c", "id -u; touch /tmp/mine");
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), "1000125");
    assert.deepEqual(owner(join(slot, "tmp", "mine")), { uid: 1000125, mode: "644" });

    symlinkSync(join(slot, "tmp"), join(slot, "linked-tmp"));
    const linked = run("enter", join(slot, "linked-tmp"), "1000125", "/bin/true");
    assert.notEqual(linked.status, 0, "a link was bound over /tmp");
    const others = run("enter", join(slot, "tmp"), "1000126", "/bin/true");
    assert.notEqual(others.status, 0, "another uid's folder was bound over /tmp");
    assert.match(others.stderr, /not a folder of uid 1000126's alone/);
    const root = run("enter", join(slot, "tmp"), "0", "/bin/true");
    assert.equal(root.status, 2, "root was accepted as a sandbox uid");
  });

  test(
    "a slot's old file system leaves the view of a sandbox that started before it was replaced",
    { timeout: 30_000 },
    () => {
      spawnSync("mkdir", ["-p", shared]);
      assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0711", "tmpfs", shared]).status, 0);
      assert.equal(spawnSync("mount", ["--make-shared", shared]).status, 0);
      for (const n of ["1", "2"]) {
        spawnSync("mkdir", [join(shared, n)]);
        assert.equal(run("fresh", join(shared, n), "8", `100020${n}`).status, 0);
      }
      writeFileSync(join(shared, "1", "old-marker"), "");
      // A neighbour in slot 2 looks for slot 1's old file system before and after slot 1's next load.
      const look = `test -e ${shared}/1/old-marker && echo old; test -d ${shared}/1/task && echo folders`;
      const neighbour = spawn(
        guestctl,
        ["enter", join(shared, "2", "tmp"), "1000202", "/bin/sh", "-c", `${look}; read _; ${look}`],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      let seen = "";
      neighbour.stdout.on("data", (c: Buffer) => (seen += c.toString()));
      return new Promise<void>((resolve, reject) => {
        const waitFor = (text: string, then: () => void): void => {
          const t = setInterval(() => {
            if (seen.includes(text)) {
              clearInterval(t);
              then();
            }
          }, 20);
        };
        waitFor("folders", () => {
          assert.equal(run("fresh", join(shared, "1"), "8", "1000211").status, 0);
          seen = "";
          neighbour.stdin.end("\n");
        });
        neighbour.on("exit", () => {
          try {
            assert.equal(seen.trim(), "folders", "the neighbour still sees slot 1's old file system");
            resolve();
          } catch (err) {
            reject(err as Error);
          }
        });
      });
    },
  );
});
