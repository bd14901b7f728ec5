// Property tests: a garbled boot log never breaks the diagnosis or the on-call message's SNS limits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BOOT_STATUSES, BOOT_STEPS } from "../../../contracts/boot/markers.js";
import { diagnoseBoot } from "../../../functions/health/decide.js";
import {
  formatFailedLaunchMessage,
  MAX_BODY_CHARS,
  MAX_SUBJECT_CHARS,
} from "../../../functions/health/messages.js";
import { SENSOR_ASG } from "./support/fixtures.js";

const markerLike = fc
  .tuple(
    fc.constantFrom(...BOOT_STEPS, "x"),
    fc.constantFrom(...BOOT_STATUSES, "??"),
    fc.string({ maxLength: 40 }),
  )
  .map(
    ([step, status, reason]) =>
      `SPANLESS-BOOT v=1 ts=2026-11-24T00:00:00.000Z step=${step} status=${status} reason=${JSON.stringify(reason)}`,
  );
const logLine = fc.oneof(
  fc.string({ maxLength: 120 }),
  markerLike,
  fc.constant("Error: connect ETIMEDOUT 1.2.3.4:443"),
);

describe("diagnosis and message robustness", () => {
  it("diagnoseBoot and the message never throw and stay within SNS limits on garbled logs", () => {
    fc.assert(
      fc.property(
        fc.array(logLine, { maxLength: 60 }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        (lines, status) => {
          // Act
          const diagnosis = diagnoseBoot(lines, status);
          const message = formatFailedLaunchMessage(
            {
              kind: "failed-launch",
              source: "launch-unsuccessful",
              autoScalingGroupName: SENSOR_ASG,
              instanceId: "i-0f3c9a1e5b7d24680",
              eventTime: "",
              region: "",
              account: "",
            },
            { status: "found", logGroup: "/g", logStream: "i-0f3c9a1e5b7d24680-userdata", lines },
            diagnosis,
            20,
          );
          // Assess
          expect(diagnosis.fixHint.length).toBeGreaterThan(0);
          expect(message.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
          expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
          expect(message.body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
        },
      ),
      { numRuns: 300 },
    );
  });
});
