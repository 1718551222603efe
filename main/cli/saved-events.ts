// A task's saved test events as the CLI looks them up: by the task's name (and its owner's account when shared).
import type { TestEventView } from "../contract.ts";
import type { Connection } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export function taskRef(task: string, owner: string | undefined): { task: string; ownerAccountId?: string } {
  return owner === undefined ? { task } : { task, ownerAccountId: owner };
}

/** A saved event of the task by name, or EVENT_NOT_FOUND naming the ones there are. */
export async function findTestEvent(
  conn: Connection,
  task: string,
  name: string,
  owner: string | undefined,
): Promise<TestEventView> {
  const all = await conn.call("listTestEvents", taskRef(task, owner));
  const found = all.find((e) => e.name === name);
  if (found) return found;
  const saved = all.length ? `saved: ${all.map((e) => e.name).join(", ")}` : "it has none saved";
  throw new CliError(
    "EVENT_NOT_FOUND",
    `no saved event "${name}" on task "${task}" (${saved})`,
    EXIT.refused,
    {
      field: "event",
      hint: `save one: hearth event save ${task} ${name} --payload '{...}'`,
    },
  );
}
