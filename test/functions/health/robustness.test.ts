// Arbitrary input never makes the pure decision functions throw: a bad event or a garbled log becomes a
// rejection or an "unknown" diagnosis, never an unhandled exception in the Lambda.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BOOT_STATUSES, BOOT_STEPS } from "../../../contracts/boot/markers.js";
import { diagnoseBoot } from "../../../functions/health/diagnosis.js";
import { classifyEvent } from "../../../functions/health/events.js";
import {
  formatFailedLaunchMessage,
  MAX_BODY_CHARS,
  MAX_SUBJECT_CHARS,
} from "../../../functions/health/message.js";
import { loadEvent, SENSOR_ASG } from "./support/fixtures.js";

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

describe("robustness", () => {
  it("classifyEvent returns a trigger for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act
        const trigger = classifyEvent(value, SENSOR_ASG);
        // Assess
        expect([
          "rejected",
          "ignored",
          "scheduled-summary",
          "failed-launch",
          "refresh-problem",
          "lifecycle-wait-started",
        ]).toContain(trigger.kind);
      }),
      { numRuns: 300 },
    );
  });

  it("classifyEvent survives a real event with any detail", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (detail) => {
        // Prepare
        const event = { ...loadEvent("launch-unsuccessful-abandoned"), detail };
        // Act
        const trigger = classifyEvent(event, SENSOR_ASG);
        // Assess
        expect(
          trigger.kind === "rejected" || trigger.kind === "failed-launch" || trigger.kind === "ignored",
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

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
