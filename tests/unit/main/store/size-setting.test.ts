// Size bounds in megabytes: unset gives the default, a number is taken in bytes, anything else is refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { megabytesSetting } from "../../../../main/store/size-setting.ts";

test("a size in megabytes: the default when unset, bytes when set, a clear refusal otherwise", () => {
  assert.equal(megabytesSetting("HEARTH_LOGS_MB", undefined, 200, 1000), 200 * 1024 * 1024);
  assert.equal(megabytesSetting("HEARTH_LOGS_MB", "", 200, 1000), 200 * 1024 * 1024);
  assert.equal(megabytesSetting("HEARTH_METRICS_MB", "1.5", 50, 1000), 1.5 * 1024 * 1024);
  assert.equal(megabytesSetting("HEARTH_METRICS_MB", 8, 50, 1000), 8 * 1024 * 1024);
  for (const bad of ["0", "lots", "1001", "-3"]) {
    assert.throws(
      () => megabytesSetting("HEARTH_METRICS_MB", bad, 50, 1000),
      /INVALID_CONFIG: HEARTH_METRICS_MB/,
    );
  }
});
