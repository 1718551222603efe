// A world with an owner sharing a task with a caller, for the cross-profile tests.
import { createGrant } from "../../../../main/domain/aliases/grants.ts";
import { updateTaskConfig } from "../../../../main/domain/tasks/tasks.ts";
import { World } from "./domain-world.ts";

/** The names the tests' aliases set; a grant that allows none of them is asked for explicitly. */
export const TEST_ALLOWED_ENV = [
  ...["CALLER_BUCKET", "CALLER_KEY", "BUCKET", "API_KEY", "DB_PASSWORD"],
  ...["A", "B", "C", "E", "F", "K", "S", "X"],
];

export function crossWorld(
  limits: {
    maxMemoryMb?: number | null;
    maxTimeoutS?: number | null;
    allowedEnvironment?: string[] | null;
    callerPlacement?: "none" | "code" | "code-and-environment";
  } = {},
) {
  const w = new World();
  const owner = w.profile("owner");
  const caller = w.profile("caller");
  const stranger = w.profile("stranger");
  w.task(owner, {
    name: "resize",
    environment: { OWNER_DB: "postgres://owner-only" },
    memoryMb: 256,
    timeoutS: 10,
  });
  w.publish(owner, "resize", "first");
  w.apply((s) => updateTaskConfig(s, owner, { task: "resize", timeoutS: 20 }, w.ctx));
  w.publish(owner, "resize", "second");
  const grant = w.apply((s) =>
    createGrant(
      s,
      owner,
      {
        task: "resize",
        granteeProfileId: caller,
        allowedEnvironment: TEST_ALLOWED_ENV,
        callerPlacement: "code-and-environment",
        ...limits,
      },
      w.ctx,
    ),
  );
  const ownerAccount = w.state.profiles.find((p) => p.id === owner)?.accountId as string;
  const taskId = w.state.tasks[0]?.id as string;
  return { w, owner, caller, stranger, grant, ownerAccount, taskId };
}
