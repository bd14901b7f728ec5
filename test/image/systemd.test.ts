// spanless-sensor.service's sandbox, scored by systemd itself offline (`systemd-analyze security
// --offline`): the exposure may not grow past today's 2.8 ("OK") without this test being changed on
// purpose. `systemd-analyze verify` runs in provision.test.ts, with the installed runtime in place.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { SENSOR_SERVICE } from "../../contracts/host/index.js";
import { missingTools, SYSTEMD_DIR } from "./support.js";

/** systemd's exposure scale is 0-10; --threshold takes tenths. */
const MAX_EXPOSURE_TENTHS = 28;

const skip = missingTools("systemd-analyze");

it.skipIf(skip !== undefined)(
  `the unit's exposure (systemd-analyze security) is at most ${MAX_EXPOSURE_TENTHS / 10}${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    // Prepare
    const unit = join(SYSTEMD_DIR, SENSOR_SERVICE);

    // Act
    const r = spawnSync(
      "systemd-analyze",
      ["security", "--offline=true", `--threshold=${MAX_EXPOSURE_TENTHS}`, "--no-pager", unit],
      { encoding: "utf8" },
    );

    // Assess
    const overall = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(r.stdout);
    expect(overall, `${r.stdout}${r.stderr}`).not.toBeNull();
    expect(Number(overall?.[1])).toBeLessThanOrEqual(MAX_EXPOSURE_TENTHS / 10);
    expect(r.status, r.stdout).toBe(0);
  },
);
