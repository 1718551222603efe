// Ready-to-paste command lines for a teammate: curl with a token, and the AWS CLI with a profile's access key.

/** Quotes a word for a POSIX shell. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Invokes a token's alias: the token alone says which alias, so no task or qualifier is named. */
export function curlInvokeCommand(baseUrl: string, token: string, payload = "{}"): string {
  return [
    "curl -sS -X POST",
    shellQuote(`${baseUrl.replace(/\/+$/, "")}/v1/invoke`),
    "-H",
    shellQuote(`Authorization: Bearer ${token}`),
    "-H",
    shellQuote("content-type: application/json"),
    "-d",
    shellQuote(payload),
  ].join(" ");
}

export interface AliasAddress {
  task: string;
  alias: string;
  /** The task's account: the alias's own profile or, for a cross-profile alias, the task owner's. */
  ownerAccountId: string;
}

/**
 * The AWS CLI signs requests with an access key (SigV4), never a bearer token, so this command is for whoever
 * holds the profile's access key; the function is named by ARN so cross-profile aliases resolve too.
 */
export function awsInvokeCommand(
  baseUrl: string,
  a: AliasAddress,
  accessKeyId: string | undefined,
  payload = "{}",
): string {
  const arn = `arn:aws:lambda:us-east-1:${a.ownerAccountId}:function:${a.task}:${a.alias}`;
  return [
    `AWS_ACCESS_KEY_ID=${shellQuote(accessKeyId ?? "<access key id>")}`,
    "AWS_SECRET_ACCESS_KEY='<secret access key>'",
    "aws --region us-east-1 --endpoint-url",
    shellQuote(baseUrl.replace(/\/+$/, "")),
    "lambda invoke --function-name",
    shellQuote(arn),
    "--cli-binary-format raw-in-base64-out --payload",
    shellQuote(payload),
    "/dev/stdout",
  ].join(" ");
}

/** A curl line for an API route; `{name}` parameters left for the user to fill in. */
export function curlRouteCommand(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
): string {
  const parts = ["curl -sS -X", method, shellQuote(`${baseUrl.replace(/\/+$/, "")}${path}`)];
  if (token) parts.push("-H", shellQuote(`Authorization: Bearer ${token}`));
  for (const [name, value] of Object.entries(headers)) parts.push("-H", shellQuote(`${name}: ${value}`));
  if (method !== "GET" && method !== "HEAD")
    parts.push("-H", shellQuote("content-type: application/json"), "-d", "'{}'");
  return parts.join(" ");
}
