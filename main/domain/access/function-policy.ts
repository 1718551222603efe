// Lambda's resource policies: statements an owner adds to a task (or one of its qualifiers) by StatementId, each
// letting one account invoke exactly the ARN it names, with the owner's configuration, or call its function URL.
import { z } from "zod";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { findProfileByAccountId, findVersion, getOwnTask, getProfile } from "../model/lookups.ts";
import type { Change, HearthState, PolicyStatement, Task } from "../model/state.ts";

/** Lambda keeps a function's policy under 20 KB; a statement is about 250 bytes of it. */
export const MAX_STATEMENTS_PER_TASK = 80;

const STATEMENT_ID = /^[A-Za-z0-9_.-]{1,100}$/;

const sidSchema = z
  .string({ error: "is required" })
  .regex(STATEMENT_ID, "must be 1 to 100 letters, digits, -, _ or .");

const qualifierSchema = z
  .string()
  .regex(/^(\$LATEST|[0-9]+|[A-Za-z0-9_-]{1,128})$/, "must be a version number or an alias name")
  .nullable()
  .default(null);

const addSchema = z.strictObject({
  task: z.string(),
  qualifier: qualifierSchema,
  sid: sidSchema,
  action: z.string({ error: "is required" }),
  principal: z.string({ error: "is required" }),
  /** Lambda's FunctionUrlAuthType: the statement counts only for the function's URL of that auth type. */
  urlAuthType: z.enum(["NONE", "AWS_IAM"], { error: 'must be "NONE" or "AWS_IAM"' }).optional(),
  /** Lambda's InvokedViaFunctionUrl: an InvokeFunction statement that counts only for calls through the URL. */
  invokedViaFunctionUrl: z.boolean().optional(),
});

const removeSchema = z.strictObject({ task: z.string(), qualifier: qualifierSchema, sid: sidSchema });

/**
 * The account a principal names: a 12-digit account id or its root ARN. Anything wider is refused by name: Hearth
 * has no AWS services to call a function, and a wildcard would open it to every profile.
 */
export function principalAccount(raw: string): string {
  const account = /^(?:arn:aws:iam::)?([0-9]{12})(?::root)?$/.exec(raw)?.[1];
  if (account) return account;
  const why =
    raw === "*"
      ? 'Principal "*" would let every profile invoke it'
      : /\.amazonaws\.com(\.cn)?$/.test(raw)
        ? `Principal ${raw} is an AWS service, and no AWS service calls functions on this machine`
        : `Principal "${raw.slice(0, 100)}" is not an account`;
  throw new HearthError(
    "INVALID_INPUT",
    `${why}; name another profile's 12-digit account id (or arn:aws:iam::ACCOUNT:root)`,
    "Principal",
  );
}

/** Checks that a statement's qualifier names something of the owner's: a published version or an own alias. */
function checkQualifier(state: HearthState, task: Task, qualifier: string | null): void {
  if (qualifier === null) return;
  if (qualifier === "$LATEST") {
    throw new HearthError(
      "INVALID_INPUT",
      "$LATEST cannot carry a policy of its own; leave Qualifier out to allow the unqualified function ARN",
      "Qualifier",
    );
  }
  if (/^[0-9]+$/.test(qualifier)) {
    if (!findVersion(task, Number(qualifier)))
      throw new HearthError(
        "VERSION_NOT_FOUND",
        `task "${task.name}" has no version ${qualifier}`,
        "Qualifier",
      );
    return;
  }
  const alias = state.aliases.find(
    (a) => a.taskId === task.id && a.profileId === task.profileId && a.name === qualifier,
  );
  if (!alias)
    throw new HearthError("ALIAS_NOT_FOUND", `task "${task.name}" has no alias "${qualifier}"`, "Qualifier");
}

export function addPermission(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof addSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<PolicyStatement> {
  const v = parseInput(addSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  if (v.action !== "lambda:InvokeFunction" && v.action !== "lambda:InvokeFunctionUrl") {
    throw new HearthError(
      "INVALID_INPUT",
      `Action "${v.action.slice(0, 100)}" cannot be granted: another account may only invoke (lambda:InvokeFunction ` +
        "or, through the function's URL, lambda:InvokeFunctionUrl), never read or change the function",
      "Action",
    );
  }
  const urlAuthType = urlScope(v);
  // Everyone (`*`) is a principal only for a URL whose auth type is NONE: the URL is open to whoever reaches the
  // port anyway, and such a statement never lets anyone call the function by its ARN.
  const account = urlAuthType === "NONE" && v.principal === "*" ? "*" : principalAccount(v.principal);
  const owner = getProfile(state, ownerProfileId);
  if (account !== "*" && account !== owner.accountId && !findProfileByAccountId(state, account)) {
    throw new HearthError(
      "PROFILE_NOT_FOUND",
      `no profile on this machine has account ${account}`,
      "Principal",
    );
  }
  checkQualifier(state, task, v.qualifier);
  const mine = state.permissions.filter((p) => p.taskId === task.id);
  if (mine.some((p) => p.qualifier === v.qualifier && p.sid === v.sid)) {
    throw new HearthError(
      "STATEMENT_EXISTS",
      `The statement id (${v.sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      "StatementId",
    );
  }
  if (mine.length >= MAX_STATEMENTS_PER_TASK) {
    throw new HearthError(
      "POLICY_TOO_LARGE",
      `task "${task.name}" already has ${mine.length} policy statements; remove one before adding another`,
      "StatementId",
    );
  }
  const statement: PolicyStatement = {
    taskId: task.id,
    qualifier: v.qualifier,
    sid: v.sid,
    action: v.action,
    principalAccountId: account,
    ...(urlAuthType !== undefined ? { urlAuthType } : {}),
    createdAt: isoTime(ctx.now),
  };
  const next = structuredClone(state);
  next.permissions.push(statement);
  return { state: next, result: statement };
}

/**
 * The URL auth type a statement is for, or undefined for a statement about invoking the function by its ARN.
 * InvokeFunctionUrl needs FunctionUrlAuthType, as Lambda's does; InvokeFunction with InvokedViaFunctionUrl is for
 * the URL too, public when its principal is `*`.
 */
function urlScope(v: z.output<typeof addSchema>): "NONE" | "AWS_IAM" | undefined {
  if (v.action === "lambda:InvokeFunctionUrl") {
    if (v.urlAuthType === undefined) {
      throw new HearthError(
        "INVALID_INPUT",
        'urlAuthType is required with lambda:InvokeFunctionUrl: "NONE" or "AWS_IAM", the auth type of the URL',
        "urlAuthType",
      );
    }
    return v.urlAuthType;
  }
  if (v.invokedViaFunctionUrl === true) return v.urlAuthType ?? (v.principal === "*" ? "NONE" : "AWS_IAM");
  if (v.urlAuthType !== undefined) {
    throw new HearthError(
      "INVALID_INPUT",
      "urlAuthType goes with lambda:InvokeFunctionUrl (or InvokedViaFunctionUrl), not with invoking the function",
      "urlAuthType",
    );
  }
  return undefined;
}

export function removePermission(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof removeSchema>,
): Change<PolicyStatement> {
  const v = parseInput(removeSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const found = state.permissions.find(
    (p) => p.taskId === task.id && p.qualifier === v.qualifier && p.sid === v.sid,
  );
  if (!found) {
    throw new HearthError(
      "STATEMENT_NOT_FOUND",
      `Statement ${v.sid} is not found in resource policy${v.qualifier === null ? "" : ` of ${task.name}:${v.qualifier}`}.`,
      "StatementId",
    );
  }
  const next = structuredClone(state);
  next.permissions = next.permissions.filter((p) => p !== found && !samePermission(p, found));
  return { state: next, result: found };
}

function samePermission(a: PolicyStatement, b: PolicyStatement): boolean {
  return a.taskId === b.taskId && a.qualifier === b.qualifier && a.sid === b.sid;
}

/** The statements of one policy: the function's (qualifier null) or one qualifier's, in the order they were added. */
export function policyStatements(
  state: HearthState,
  taskId: string,
  qualifier: string | null,
): PolicyStatement[] {
  return state.permissions.filter((p) => p.taskId === taskId && p.qualifier === qualifier);
}

/** Whether a statement lets the account invoke the task by the ARN with this qualifier (null: unqualified). */
export function statementAllows(
  state: HearthState,
  accountId: string,
  taskId: string,
  qualifier: string | null,
): boolean {
  return state.permissions.some(
    (p) =>
      p.taskId === taskId &&
      p.qualifier === qualifier &&
      p.urlAuthType === undefined &&
      p.principalAccountId === accountId,
  );
}

/**
 * Whether a statement lets the account call the task's URL of this qualifier and auth type (AWS_IAM): one written
 * for the URL, or one that lets it invoke the function by the same ARN.
 */
export function statementAllowsUrl(
  state: HearthState,
  accountId: string,
  taskId: string,
  qualifier: string | null,
): boolean {
  return state.permissions.some(
    (p) =>
      p.taskId === taskId &&
      p.qualifier === qualifier &&
      p.principalAccountId === accountId &&
      (p.urlAuthType === undefined || p.urlAuthType === "AWS_IAM"),
  );
}
