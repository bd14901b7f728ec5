import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { classifyEvent } from "../../../functions/instance-refresh/events.js";
import { loadEvent } from "./support/fixtures.js";

const FIXTURES = readdirSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));

describe("classifyEvent", () => {
  it.each([
    [
      "parameter-store-change-create",
      { kind: "parameter-change", name: "/spanless/prod/proxy", operation: "Create" },
    ],
    ["parameter-store-change-update", { kind: "parameter-change", operation: "Update" }],
    ["parameter-store-change-delete", { kind: "parameter-change", operation: "Delete" }],
    ["parameter-store-change-label", { kind: "parameter-change", operation: "LabelParameterVersion" }],
    ["scheduled-event", { kind: "tick" }],
    [
      "instance-refresh-succeeded",
      { kind: "refresh-outcome", phase: "Succeeded", asgName: "spanless-prod-sensors" },
    ],
    ["instance-refresh-failed", { kind: "refresh-outcome", phase: "Failed" }],
    ["instance-refresh-rollback-succeeded", { kind: "refresh-outcome", phase: "Rollback Succeeded" }],
    ["instance-refresh-checkpoint-reached", { kind: "refresh-outcome", phase: "Checkpoint Reached" }],
  ])("recognises the %s fixture", (fixture, expected) => {
    // Prepare
    const event = loadEvent(fixture);
    // Act
    const classified = classifyEvent(event);
    // Assess
    expect(classified).toMatchObject(expected);
  });

  it("classifies every committed fixture as something known", () => {
    // Prepare / Act
    const kinds = FIXTURES.map((f) => classifyEvent(loadEvent(f)).kind);
    // Assess
    expect(FIXTURES.length).toBeGreaterThanOrEqual(14);
    expect(kinds).not.toContain("unknown");
  });

  it.each([
    ["null", null],
    ["a string", "hello"],
    [
      "an SSM event with an unknown operation",
      { ...loadEvent("parameter-store-change-update"), detail: { operation: "Rename", name: "/x" } },
    ],
    [
      "a refresh event without its id",
      { ...loadEvent("instance-refresh-succeeded"), detail: { AutoScalingGroupName: "g" } },
    ],
    [
      "an unknown refresh phase",
      {
        ...loadEvent("instance-refresh-succeeded"),
        "detail-type": "EC2 Auto Scaling Instance Refresh Exploded",
      },
    ],
    [
      "an EC2 state change",
      { source: "aws.ec2", "detail-type": "EC2 Instance State-change Notification", detail: {} },
    ],
  ])("reports %s as unknown with a reason instead of throwing", (_label, event) => {
    // Prepare / Act
    const classified = classifyEvent(event);
    // Assess
    expect(classified.kind).toBe("unknown");
    expect(classified.kind === "unknown" && classified.why.length).toBeGreaterThan(10);
  });
});
