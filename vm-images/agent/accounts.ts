// The guest's account files: root and, per slot, the uid its current load runs as, so that task code asking who it
// is (os.userInfo(), getpass.getuser()) gets a name, as on Lambda, though each load takes a new uid.
import { renameSync, writeFileSync } from "node:fs";

/** On the guest's own tmpfs, root's alone: /etc/passwd and /etc/group in the read-only root link here. */
const ACCOUNTS_DIR = "/run/hearth-accounts";

/** Rewrites both files for `uids` (slot → uid); each is replaced whole, so a reader never sees half of one. */
export function writeAccounts(uids: ReadonlyMap<number, number>): void {
  const slots = [...uids].sort((a, b) => a[0] - b[0]);
  const files = {
    passwd: [
      "root:x:0:0:root:/root:/bin/sh",
      ...slots.map(
        ([slot, uid]) => `sbx${slot}:x:${uid}:${uid}:sandbox ${slot}:/var/sandboxes/${slot}/home:/bin/false`,
      ),
    ],
    group: ["root:x:0:", ...slots.map(([slot, uid]) => `sbx${slot}:x:${uid}:`)],
  };
  for (const [name, lines] of Object.entries(files)) {
    const next = `${ACCOUNTS_DIR}/${name}.next`;
    writeFileSync(next, `${lines.join("\n")}\n`, { mode: 0o644 });
    renameSync(next, `${ACCOUNTS_DIR}/${name}`);
  }
}
