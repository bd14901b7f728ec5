// Property tests: event classification never throws, whatever EventBridge sends.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyEvent } from "../../../functions/health/events.js";
import { loadEvent, SENSOR_ASG } from "./support/fixtures.js";

describe("classifyEvent robustness", () => {
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
});
