// The shared listener's certificate: made once, kept private, pinned by a fingerprint Node agrees with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { chmodSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createServer, connect } from "node:tls";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import {
  certificateFingerprint,
  certificateNames,
  ensureTlsIdentity,
  FINGERPRINT_PATTERN,
  TLS_CERT_FILE,
  TLS_DIR,
  TLS_KEY_FILE,
} from "../../../../main/store/tls-identity.ts";
import { tempDir } from "./temp-dir.ts";

test("the first use makes a P-256 key and a ten-year certificate for the shared address, kept private", async (t) => {
  const dir = tempDir(t);
  const now = Date.parse("2025-03-01T10:00:00.000Z");
  const id = await ensureTlsIdentity(dir, { hosts: ["127.0.0.2"], now });
  const keyPath = join(dir, TLS_DIR, TLS_KEY_FILE);
  const certPath = join(dir, TLS_DIR, TLS_CERT_FILE);
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, TLS_DIR)).mode & 0o077, 0);
  assert.ok(existsSync(certPath));

  const cert = new X509Certificate(id.cert);
  assert.equal(createPrivateKey(id.key).asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.ok(cert.checkPrivateKey(createPrivateKey(id.key)));
  assert.ok(cert.verify(cert.publicKey), "self-signed");
  assert.equal(cert.ca, false);
  assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.2/);
  assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  assert.ok((cert.subjectAltName ?? "").includes(`DNS:${hostname().toLowerCase()}`));
  assert.equal(id.subjectAltName, cert.subjectAltName);
  assert.ok(Date.parse(cert.validFrom) <= now);
  const years = (Date.parse(cert.validTo) - now) / (365 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years < 10.1, `valid for ${years} years`);

  // The fingerprint is Node's own, lowercase and without colons.
  assert.match(id.fingerprint, FINGERPRINT_PATTERN);
  assert.equal(id.fingerprint, `sha256:${cert.fingerprint256.replaceAll(":", "").toLowerCase()}`);
  assert.equal(certificateFingerprint(id.cert), id.fingerprint);
  assert.equal(certificateFingerprint(cert.raw), id.fingerprint);
  // No temporary folder is left behind.
  assert.deepEqual(readdirSync(dir).sort(), [TLS_DIR]);
});

test("later uses read the same identity back, whatever hosts they name", async (t) => {
  const dir = tempDir(t);
  const first = await ensureTlsIdentity(dir, { hosts: ["127.0.0.2"] });
  const again = await ensureTlsIdentity(dir, { hosts: ["10.1.2.3"] });
  assert.deepEqual(again, first);
});

test("two processes making it at once end up with one and the same pair", async (t) => {
  const dir = tempDir(t);
  const ids = await Promise.all([1, 2, 3].map(() => ensureTlsIdentity(dir)));
  assert.equal(new Set(ids.map((i) => i.fingerprint)).size, 1);
  assert.deepEqual(readdirSync(dir), [TLS_DIR]);
});

test("a readable key, a missing file or a key of another certificate is refused, not replaced", async (t) => {
  const dir = tempDir(t);
  const id = await ensureTlsIdentity(dir);
  const keyPath = join(dir, TLS_DIR, TLS_KEY_FILE);
  chmodSync(keyPath, 0o644);
  await assert.rejects(
    ensureTlsIdentity(dir),
    (e: HearthError) => e.code === "TLS_IDENTITY_INVALID" && /chmod 600/.test(e.message),
  );
  chmodSync(keyPath, 0o600);

  const other = await ensureTlsIdentity(tempDir(t));
  writeFileSync(keyPath, other.key, { mode: 0o600 });
  await assert.rejects(
    ensureTlsIdentity(dir),
    (e: HearthError) => e.code === "TLS_IDENTITY_INVALID" && /not a certificate and its key/.test(e.message),
  );
  rmSync(keyPath);
  await assert.rejects(
    ensureTlsIdentity(dir),
    (e: HearthError) => e.code === "TLS_IDENTITY_INVALID" && /lacks key\.pem/.test(e.message),
  );
  assert.ok(existsSync(join(dir, TLS_DIR, TLS_CERT_FILE)), "the certificate is left as it was");
  assert.notEqual(other.fingerprint, id.fingerprint);
});

test("the names cover the hosts given, the machine's hostname and loopback; a wildcard means every address", () => {
  const n = certificateNames(["127.0.0.2", "[::1]", "Share.Example"]);
  assert.ok(n.ips.includes("127.0.0.2"));
  assert.ok(n.ips.includes("::1"));
  assert.ok(n.dns.includes("share.example"));
  assert.ok(n.dns.includes("localhost"));
  const all = certificateNames(["0.0.0.0"]);
  assert.ok(all.ips.includes("127.0.0.1"));
  assert.ok(all.ips.every((ip) => !ip.startsWith("fe80:")));
});

test("a TLS server serves with it, and a client sees the same fingerprint", async (t) => {
  const id = await ensureTlsIdentity(tempDir(t), { hosts: ["127.0.0.1"] });
  const server = createServer({ key: id.key, cert: id.cert }, (s) => s.end("hi"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const seen = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(certificateFingerprint(s.getPeerCertificate().raw));
      s.destroy();
    });
    s.on("error", reject);
  });
  assert.equal(seen, id.fingerprint);
});
