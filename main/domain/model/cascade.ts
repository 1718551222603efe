// What goes with a removed record: an alias or API takes its tokens, a task its aliases, grants, test events,
// policy statements and function URLs.
// Works on a draft copy.
import type { HearthState } from "./state.ts";

export function removeAliases(draft: HearthState, aliasIds: ReadonlySet<string>): void {
  if (aliasIds.size === 0) return;
  // An owner's alias takes the policy statements that named it, as Lambda deletes an alias's policy with it.
  const named = draft.aliases.filter((a) => aliasIds.has(a.id) && a.grantId === null);
  draft.permissions = draft.permissions.filter(
    (p) => !named.some((a) => a.taskId === p.taskId && a.name === p.qualifier),
  );
  draft.eventInvokeConfigs = draft.eventInvokeConfigs.filter(
    (e) => !named.some((a) => a.taskId === e.taskId && a.name === e.qualifier),
  );
  draft.functionUrls = draft.functionUrls.filter(
    (u) => !named.some((a) => a.taskId === u.taskId && a.name === u.qualifier),
  );
  draft.aliases = draft.aliases.filter((a) => !aliasIds.has(a.id));
  draft.tokens = draft.tokens.filter((t) => !(t.scope.kind === "alias" && aliasIds.has(t.scope.aliasId)));
}

export function removeGrants(draft: HearthState, grantIds: ReadonlySet<string>): void {
  if (grantIds.size === 0) return;
  removeAliases(
    draft,
    new Set(draft.aliases.filter((a) => a.grantId !== null && grantIds.has(a.grantId)).map((a) => a.id)),
  );
  // A grantee's saved test events go with the grant that let it call the task.
  const gone = draft.grants.filter((g) => grantIds.has(g.id));
  draft.testEvents = draft.testEvents.filter(
    (e) => !gone.some((g) => g.taskId === e.taskId && g.granteeProfileId === e.profileId),
  );
  draft.grants = draft.grants.filter((g) => !grantIds.has(g.id));
}

export function removeTasks(draft: HearthState, taskIds: ReadonlySet<string>): void {
  if (taskIds.size === 0) return;
  removeGrants(draft, new Set(draft.grants.filter((g) => taskIds.has(g.taskId)).map((g) => g.id)));
  removeAliases(draft, new Set(draft.aliases.filter((a) => taskIds.has(a.taskId)).map((a) => a.id)));
  draft.tasks = draft.tasks.filter((t) => !taskIds.has(t.id));
  draft.permissions = draft.permissions.filter((p) => !taskIds.has(p.taskId));
  draft.eventInvokeConfigs = draft.eventInvokeConfigs.filter((e) => !taskIds.has(e.taskId));
  draft.functionUrls = draft.functionUrls.filter((u) => !taskIds.has(u.taskId));
  draft.testEvents = draft.testEvents.filter((e) => !taskIds.has(e.taskId));
}

/**
 * An API takes its tokens. Routes elsewhere that pointed at removed aliases or tasks stay: they answer an error
 * at request time, so deleting a task is never blocked by an API that serves it.
 */
export function removeApis(draft: HearthState, apiIds: ReadonlySet<string>): void {
  if (apiIds.size === 0) return;
  draft.apis = draft.apis.filter((a) => !apiIds.has(a.id));
  draft.tokens = draft.tokens.filter((t) => !(t.scope.kind === "api" && apiIds.has(t.scope.apiId)));
}
