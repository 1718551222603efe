// Lambda's ways of naming a function (a name, name:qualifier, a full ARN or a partial one), read into the reference
// an invocation resolves.
import { HearthError } from "../model/errors.ts";
import type { InvokeRef } from "./authorization.ts";

const ARN_RE =
  /^(?:arn:aws[\w-]*:lambda:[\w-]*:)?(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::([\w$-]{1,128}))?$/;
const NAME_RE = /^([A-Za-z0-9_-]{1,64})(?::([\w$-]{1,128}))?$/;

/** Lambda's ways of naming a function: a name, name:qualifier, a full ARN or a partial one (account:function:name). */
export function parseFunctionName(raw: string, qualifier?: string): InvokeRef {
  const arn = ARN_RE.exec(raw);
  const plain = arn ? null : NAME_RE.exec(raw);
  if (!arn && !plain) {
    throw new HearthError(
      "INVALID_INPUT",
      `"${raw.slice(0, 200)}" is not a function name or ARN`,
      "FunctionName",
    );
  }
  const task = (arn ? arn[2] : plain![1])!;
  const inName = arn ? arn[3] : plain![2];
  if (qualifier !== undefined && inName !== undefined && qualifier !== inName) {
    throw new HearthError(
      "INVALID_INPUT",
      `the qualifier "${qualifier}" does not match the one in the function name`,
      "Qualifier",
    );
  }
  const q = qualifier ?? inName;
  return { task, ...(q !== undefined ? { qualifier: q } : {}), ...(arn ? { ownerAccountId: arn[1]! } : {}) };
}
