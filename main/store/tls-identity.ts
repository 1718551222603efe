// The shared listener's TLS identity: a self-signed certificate and its key, made on first use under <data>/tls/.
import { randomBytes, webcrypto, X509Certificate, createPrivateKey } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname, networkInterfaces } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";
import type * as X509 from "@peculiar/x509";
import { HearthError } from "../domain/model/errors.ts";
import { openDataDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./private-data-dir.ts";

export const TLS_DIR = "tls";
export const TLS_KEY_FILE = "key.pem";
export const TLS_CERT_FILE = "cert.pem";
/** `sha256:` and 64 lowercase hex digits: the form share links and remote aliases pin. */
export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A pinned certificate never needs renewing for trust; ten years keeps clients that check dates quiet. */
const VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
/** Backdated a day, so a peer whose clock runs behind does not see a certificate from the future. */
const BACKDATE_MS = 24 * 3600 * 1000;

export interface TlsIdentity {
  /** PEM, PKCS#8. */
  key: string;
  /** PEM. */
  cert: string;
  /** `sha256:<hex>` of the certificate's DER. */
  fingerprint: string;
  /** What the certificate's subjectAltName covers (`DNS:host`, `IP Address:127.0.0.2`), as Node prints it. */
  subjectAltName: string;
  validTo: string;
}

/** `sha256:` + lowercase hex of the DER: Node's fingerprint256 without its colons. */
export function certificateFingerprint(cert: string | Buffer | X509Certificate): string {
  const c = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return `sha256:${c.fingerprint256.replaceAll(":", "").toLowerCase()}`;
}

/**
 * The names a certificate for `hosts` covers: each host (a wildcard address stands for every address of the
 * machine), the machine's hostname, and loopback. Clients pin the fingerprint and never check these; they are
 * there for tools that verify a name against a CA file (curl --cacert, the AWS CLI's --ca-bundle).
 */
export function certificateNames(hosts: readonly string[]): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(["localhost"]);
  const ips = new Set<string>(["127.0.0.1", "::1"]);
  const machine = hostname();
  if (machine && !isIP(machine)) dns.add(machine.toLowerCase());
  for (const raw of hosts) {
    const host = raw.replace(/^\[|\]$/g, "").toLowerCase();
    if (host === "" || host === "0.0.0.0" || host === "::") {
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) if (!a.address.startsWith("fe80:")) ips.add(a.address);
      }
    } else if (isIP(host)) ips.add(host);
    else dns.add(host);
  }
  return { dns: [...dns], ips: [...ips] };
}

/** Makes a fresh EC P-256 key and a certificate for it, signed by itself. */
export async function createSelfSignedIdentity(
  hosts: readonly string[],
  now: number = Date.now(),
): Promise<{ key: string; cert: string }> {
  // Loaded on first use only: the library needs a Reflect polyfill, and most runs never make a certificate.
  await import("reflect-metadata");
  const x509: typeof X509 = await import("@peculiar/x509");
  const crypto = webcrypto as unknown as Crypto;
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = certificateNames(hosts);
  // A positive serial of 16 random bytes (RFC 5280 allows 20), as CAs draw them.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString("hex"),
      name: [{ CN: [`Hearth shared listener on ${hostname() || "this machine"}`] }, { O: ["Hearth"] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + VALIDITY_MS),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...names.dns.map((value) => ({ type: "dns" as const, value })),
          ...names.ips.map((value) => ({ type: "ip" as const, value })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
  return { key, cert: cert.toString("pem") };
}

function invalid(dir: string, why: string): HearthError {
  return new HearthError(
    "TLS_IDENTITY_INVALID",
    `${why}; move ${dir} away to make a new certificate (links shared with the old one stop working)`,
  );
}

/** Reads and checks a stored identity: the key file private, the key the certificate's own. */
async function readIdentity(dir: string): Promise<TlsIdentity> {
  const keyPath = join(dir, TLS_KEY_FILE);
  const certPath = join(dir, TLS_CERT_FILE);
  let key: string;
  let certPem: string;
  try {
    const info = await stat(keyPath);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      throw new HearthError(
        "TLS_IDENTITY_INVALID",
        `${keyPath} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${keyPath}`,
      );
    }
    [key, certPem] = await Promise.all([readFile(keyPath, "utf8"), readFile(certPath, "utf8")]);
  } catch (err) {
    if (err instanceof HearthError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw invalid(dir, `${dir} lacks ${TLS_KEY_FILE} or ${TLS_CERT_FILE}`);
    }
    throw err;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(key))) throw new Error("mismatch");
  } catch {
    throw invalid(dir, `${certPath} and ${keyPath} are not a certificate and its key`);
  }
  return {
    key,
    cert: certPem,
    fingerprint: certificateFingerprint(cert),
    subjectAltName: cert.subjectAltName ?? "",
    validTo: new Date(cert.validTo).toISOString(),
  };
}

/**
 * The data directory's TLS identity, made on first use for `hosts` (the addresses the owner shares on). Made
 * once and kept: every share link pins its fingerprint, so it is never replaced behind the owner's back, even
 * when a later host is not among its names (clients check the fingerprint, not the name).
 */
export async function ensureTlsIdentity(
  dataDir: string,
  o: { hosts?: readonly string[]; now?: number } = {},
): Promise<TlsIdentity> {
  const dir = join(dataDir, TLS_DIR);
  try {
    await stat(dir);
    return await readIdentity(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await openDataDir(dataDir);
  const made = await createSelfSignedIdentity(o.hosts ?? [], o.now);
  // Key and certificate appear together or not at all: both are written into a fresh folder that is then
  // renamed into place; when another process got there first, its pair is the one kept.
  const temp = join(dataDir, `.${TLS_DIR}.${randomBytes(6).toString("hex")}.tmp`);
  await mkdir(temp, { mode: PRIVATE_DIR_MODE });
  try {
    await writeFile(join(temp, TLS_KEY_FILE), made.key, { mode: PRIVATE_FILE_MODE, flag: "wx" });
    await chmod(join(temp, TLS_KEY_FILE), PRIVATE_FILE_MODE);
    // The certificate is no secret (every share link pins it), but nothing in the data directory is others'.
    await writeFile(join(temp, TLS_CERT_FILE), made.cert, { mode: PRIVATE_FILE_MODE, flag: "wx" });
    await rename(temp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST" && code !== "ENOTEMPTY") throw err;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return readIdentity(dir);
}
