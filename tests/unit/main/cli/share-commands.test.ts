// `hearth share` and `hearth remote`: the --share address, the sharing state from serve.json, curl's key pin and
// the ready commands, and the remote list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  awsCommand,
  curlPin,
  DEFAULT_SHARE_PORT,
  formatRemoteList,
  parseShareAddress,
  readSharing,
  sharedCurlCommand,
} from "../../../../main/cli/share-commands.ts";
import { shellQuote } from "../../../../main/cli/output.ts";
import { ensureTlsIdentity } from "../../../../main/store/tls-identity.ts";
import { tempDir } from "../store/temp-dir.ts";

test("--share takes an address, with a port or the default one", () => {
  assert.deepEqual(parseShareAddress("127.0.0.2"), { host: "127.0.0.2", port: DEFAULT_SHARE_PORT });
  assert.deepEqual(parseShareAddress("192.168.1.20:8443"), { host: "192.168.1.20", port: 8443 });
  assert.deepEqual(parseShareAddress("[fd00::2]:9000"), { host: "fd00::2", port: 9000 });
  assert.deepEqual(parseShareAddress("laptop.local"), { host: "laptop.local", port: DEFAULT_SHARE_PORT });
  for (const bad of ["", "1.2.3.4:99999", "a:b:c", "[::1", "host:port"]) {
    assert.throws(() => parseShareAddress(bad), /address to share on/, bad);
  }
});

test("sharing is read from serve.json, and is off without its shared part", async (t) => {
  const dir = tempDir(t);
  assert.equal(await readSharing(dir), null);
  writeFileSync(join(dir, "serve.json"), JSON.stringify({ url: "http://127.0.0.1:7878", pid: 1 }));
  assert.equal(await readSharing(dir), null);
  const shared = { url: "https://127.0.0.2:7443", fingerprint: `sha256:${"a".repeat(64)}` };
  writeFileSync(join(dir, "serve.json"), JSON.stringify({ url: "http://127.0.0.1:7878", pid: 1, shared }));
  assert.deepEqual(await readSharing(dir), shared);
});

test("curl pins the certificate's public key; the commands are ready to paste", async (t) => {
  const id = await ensureTlsIdentity(tempDir(t));
  const pin = curlPin(id.cert);
  const spki = new X509Certificate(id.cert).publicKey.export({ type: "spki", format: "der" });
  assert.equal(pin, `sha256//${createHash("sha256").update(spki).digest("base64")}`);
  const secret = `hth_${"A".repeat(43)}`;
  const curl = sharedCurlCommand("https://127.0.0.2:7443/", secret, pin);
  assert.ok(
    curl.startsWith(
      `curl -sS --insecure --pinnedpubkey ${shellQuote(pin)} -X POST https://127.0.0.2:7443/v1/invoke`,
    ),
  );
  assert.ok(curl.includes(`'Authorization: Bearer ${secret}'`));
  assert.equal(
    awsCommand("resize"),
    "aws --endpoint-url http://127.0.0.1:7878 lambda invoke --function-name resize " +
      "--cli-binary-format raw-in-base64-out --payload '{}' /dev/stdout",
  );
});

test("the remote list shows names, endpoints, short pins and last use, never tokens", () => {
  assert.match(formatRemoteList([], Date.now()), /hearth remote add/);
  const text = formatRemoteList(
    [
      {
        id: "rmt_1",
        name: "resize",
        kind: "alias",
        profileId: "prf_1",
        endpoint: "https://127.0.0.2:7443",
        fingerprint: `sha256:${"ab".repeat(32)}`,
        createdAt: "2025-03-01T10:00:00.000Z",
        lastUsedAt: null,
      },
    ],
    Date.now(),
  );
  assert.match(
    text,
    /^NAME\s+KIND\s+ENDPOINT\s+FINGERPRINT\s+LAST USED\nresize\s+alias\s+https:\/\/127\.0\.0\.2:7443\s+sha256:abab/,
  );
  assert.match(text, /never$/);
});
