// What a share hands over besides the link: curl's pin of the owner's certificate, a ready curl line against the
// shared listener, and the AWS CLI line the teammate runs against their own Hearth once the link is imported.
import { createHash, X509Certificate } from "node:crypto";

/** POSIX shell quoting: bare when safe, else single quotes. */
function quote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** curl's pin: the SHA-256 of the certificate's public key (SPKI), which `--pinnedpubkey` checks in place of a CA. */
export function curlPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256//${createHash("sha256").update(spki).digest("base64")}`;
}

/** A curl command that calls the shared alias with the token, trusting the owner's certificate by its key alone. */
export function sharedCurlCommand(endpoint: string, secret: string, pin: string, payload = "{}"): string {
  return [
    "curl -sS --insecure --pinnedpubkey",
    quote(pin),
    "-X POST",
    quote(`${endpoint.replace(/\/+$/, "")}/v1/invoke`),
    "-H",
    quote(`Authorization: Bearer ${secret}`),
    "-H",
    quote("content-type: application/json"),
    "-d",
    quote(payload),
  ].join(" ");
}

/** What the teammate runs once the link is a remote alias in their Hearth: the AWS CLI against their own port. */
export function awsCommand(name: string, localUrl = "http://127.0.0.1:7878"): string {
  return [
    "aws --endpoint-url",
    quote(localUrl),
    "lambda invoke --function-name",
    quote(name),
    "--cli-binary-format raw-in-base64-out --payload '{}' /dev/stdout",
  ].join(" ");
}

/** A curl command that calls a shared API's route with the API's token, pinned like sharedCurlCommand. */
export function sharedApiCurlCommand(apiUrl: string, secret: string, pin: string, path = "/"): string {
  return [
    "curl -sS --insecure --pinnedpubkey",
    quote(pin),
    "-H",
    quote(`Authorization: Bearer ${secret}`),
    quote(`${apiUrl.replace(/\/+$/, "")}${path}`),
  ].join(" ");
}
