// A child process for the crash test: opens a data directory with the real store and creates profiles w0, w1, …
// one write after another, printing "committed <n>" once the n-th profile's write has been acknowledged.
import { createProfile } from "../../main/domain/access/profiles.ts";
import { openHearthStore } from "../../main/store/hearth-store.ts";
import { systemRandom } from "../../main/store/system-random.ts";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: reliability-writer.ts <data-dir> [writes]");
  process.exit(2);
}
const writes = Number(process.argv[3] ?? 1000);
const store = await openHearthStore(dir);
let n = store.documents.state.profiles.length;
process.stdout.write(`opened ${n}\n`);
for (let i = 0; i < writes; i++) {
  const name = `w${n}`;
  await store.documents.update((s) =>
    createProfile(s, { name }, { now: Date.now(), random: systemRandom, sealer: store.secrets }),
  );
  n++;
  process.stdout.write(`committed ${n}\n`);
}
await store.close();
