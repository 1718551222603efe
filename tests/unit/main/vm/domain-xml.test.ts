// Domain XML: every value escaped, no network device, Hearth's metadata and channel sockets read back.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  channelSockets,
  domainXml,
  withChannelDir,
  escapeXml,
  parseMetadata,
  type DomainOptions,
} from "../../../../main/vm/domain-xml.ts";

const base: DomainOptions = {
  name: "hearth-alice-0a1b2c3d",
  accel: "tcg",
  memoryMiB: 256,
  vcpus: 1,
  boot: {
    kernel: "/img/vmlinuz",
    initrd: "/img/initrd.img",
    root: "/img/root.squashfs",
    cmdline: "console=ttyS0 a='b'",
  },
  sandboxSlots: 3,
  consoleLog: "/logs/<evil>&.log",
  metadata: {
    host: "h1",
    profile: "alice",
    vmId: "0a1b2c3d",
    image: "abc",
    createdAt: "2026-11-23T00:00:00.000Z",
  },
};

test("values are escaped, so a path cannot inject XML", () => {
  const xml = domainXml(base);
  assert.ok(xml.includes("/logs/&lt;evil&gt;&amp;.log"));
  assert.ok(xml.includes("console=ttyS0 a=&apos;b&apos;"));
  assert.ok(!xml.includes("<evil>"));
  assert.equal(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
});

test("one control channel plus one channel per sandbox slot, and no network device", () => {
  const xml = domainXml(base);
  for (const name of [
    "org.hearth.agent.0",
    "org.hearth.sandbox.1",
    "org.hearth.sandbox.2",
    "org.hearth.sandbox.3",
  ]) {
    assert.ok(xml.includes(`name='${name}'`), name);
  }
  assert.ok(!xml.includes("org.hearth.sandbox.4"));
  assert.ok(!/<interface/.test(xml));
  assert.ok(xml.startsWith("<domain type='qemu'>"));
  assert.ok(domainXml({ ...base, accel: "kvm" }).includes("host-passthrough"));
  assert.ok(xml.includes("<readonly/>"));
});

test("an image without a root disk boots from its initramfs alone", () => {
  const xml = domainXml({ ...base, boot: { ...base.boot, root: null } });
  assert.ok(!xml.includes("<disk"));
});

test("bad names and sizes are refused with the field named", () => {
  assert.throws(() => domainXml({ ...base, name: "bad name" }), /INVALID_DOMAIN_NAME/);
  assert.throws(() => domainXml({ ...base, memoryMiB: 16 }), /INVALID_MEMORY/);
  assert.throws(() => domainXml({ ...base, vcpus: 0 }), /INVALID_VCPUS/);
});

test("metadata survives the round trip through libvirt's own serialisation", () => {
  // libvirt rewrites the namespace prefix and quotes; the parser must not depend on ours.
  const fromLibvirt = `<domain><metadata>
    <hearth:vm xmlns:hearth="https://hearth.dev/xmlns/vm/1" host="h1" profile="alice" id="0a1b2c3d" image="abc" created="2026-11-23T00:00:00.000Z"/>
  </metadata></domain>`;
  assert.deepEqual(parseMetadata(fromLibvirt), base.metadata);
  assert.deepEqual(
    parseMetadata(domainXml({ ...base, metadata: { ...base.metadata, profile: "a&b" } }))?.profile,
    "a&b",
  );
  assert.equal(parseMetadata("<domain><metadata/></domain>"), null);
});

test("channel sockets are read from a live domain's XML", () => {
  const live = `<channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-1-x/org.hearth.agent.0'/>
      <target type='virtio' name='org.hearth.agent.0' state='connected'/>
    </channel>`;
  assert.deepEqual(
    [...channelSockets(live)],
    [["org.hearth.agent.0", "/var/lib/libvirt/qemu/channel/target/domain-1-x/org.hearth.agent.0"]],
  );
});

test("the DAC label is turned off under the system libvirt and left out under a user's own (qemu:///session)", () => {
  assert.match(domainXml(base), /<seclabel type='none' model='dac'\/>/);
  // A session libvirt has no DAC driver: a label naming it makes it refuse the domain.
  assert.doesNotMatch(domainXml({ ...base, dacLabel: false }), /seclabel/);
});

test("channels can be moved to a folder of their own, in our XML and in libvirt's formatting of it", () => {
  const ours = withChannelDir(domainXml(base), "/tmp/hearth-1000/0a1b2c3d");
  assert.match(ours, /<source mode='bind' path='\/tmp\/hearth-1000\/0a1b2c3d\/org\.hearth\.agent\.0'\/>/);
  assert.equal((ours.match(/path='\/tmp\/hearth-1000\/0a1b2c3d\//g) ?? []).length, base.sandboxSlots + 1);
  const saved =
    '<domain><devices><channel type="unix">\n  <source mode="bind" path="/tmp/hearth-1000/99999999/org.hearth.sandbox.1"/>\n' +
    '  <target type="virtio" name="org.hearth.sandbox.1" state="connected"/>\n</channel>' +
    "<serial type='pty'><source path='/dev/pts/3'/></serial></devices></domain>";
  const moved = withChannelDir(saved, "/tmp/hearth-1000/0a1b2c3d");
  assert.match(moved, /path='\/tmp\/hearth-1000\/0a1b2c3d\/org\.hearth\.sandbox\.1'/);
  assert.doesNotMatch(moved, /99999999/);
  // Only channels: the serial console's source is left as it was.
  assert.match(moved, /<source path='\/dev\/pts\/3'\/>/);
});

test("guest memory is a shared memfd with a reporting, self-deflating balloon", () => {
  const xml = domainXml(base);
  assert.ok(xml.includes("<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"));
  assert.ok(xml.includes("<memballoon model='virtio' autodeflate='on' freePageReporting='on'/>"));
  assert.ok(!xml.includes("<memballoon model='none'"));
});
