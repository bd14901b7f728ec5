import { describe, expect, it } from "vitest";
import { diagnoseBoot } from "../../../functions/health/decide.js";
import { formatFailedLaunchMessage, MAX_BODY_CHARS, snsSubject } from "../../../functions/health/messages.js";
import type { FailedLaunch } from "../../../functions/health/types.js";
import { loadLog, SENSOR_ASG } from "./support/fixtures.js";

const FAILURE: FailedLaunch = {
  kind: "failed-launch",
  source: "launch-unsuccessful",
  autoScalingGroupName: SENSOR_ASG,
  instanceId: "i-0f3c9a1e5b7d24680",
  availabilityZone: "us-east-1b",
  eventTime: "2026-11-24T03:07:41Z",
  region: "us-east-1",
  account: "123456789012",
};

describe("SNS subject", () => {
  it("is ASCII, one line, starts with a letter or bracket and fits the 100-character limit", () => {
    // Prepare
    const raw = `— Sensor «launch» failed\nin us-east-1b ${"x".repeat(200)}`;
    // Act
    const subject = snsSubject(raw);
    // Assess
    expect(subject).toMatch(/^[A-Za-z0-9[(][\x20-\x7e]*$/);
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith("...")).toBe(true);
  });
});

describe("formatFailedLaunchMessage", () => {
  it("drops the group name from a subject that would not fit, keeping cause and step whole", () => {
    // Prepare
    const lines = loadLog("hung-no-fail");
    const log = { status: "found" as const, logGroup: "/g", logStream: "s", lines };
    // Act
    const { subject } = formatFailedLaunchMessage(FAILURE, log, diagnoseBoot(lines, "Heartbeat Timeout"), 20);
    // Assess
    expect(subject).toBe(
      "[Spanless] Sensor launch failed in us-east-1b: lifecycle-heartbeat-timeout at health-check",
    );
  });

  it("shows only the configured number of last log lines", () => {
    // Prepare
    const lines = loadLog("collector-unreachable");
    const log = { status: "found" as const, logGroup: "/g", logStream: "s", lines };
    // Act
    const { body } = formatFailedLaunchMessage(FAILURE, log, diagnoseBoot(lines), 3);
    // Assess
    expect(body).toContain("Last 3 log lines:");
    expect(body).toContain(`  ${lines.at(-1)}`);
    expect(body).toContain(`  ${lines.at(-3)}`);
    expect(body).not.toContain("attempt 1 of 3");
  });

  it("says an existing but empty stream is empty", () => {
    // Prepare
    const log = { status: "found" as const, logGroup: "/g", logStream: "s", lines: [] };
    // Act
    const { body } = formatFailedLaunchMessage(FAILURE, log, diagnoseBoot([]), 20);
    // Assess
    expect(body).toContain("The log stream exists but is empty.");
  });

  it("stays bounded however long the log lines and messages are", () => {
    // Prepare
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${"y".repeat(1000)}`);
    const log = { status: "found" as const, logGroup: "/g", logStream: "s", lines };
    const failure = { ...FAILURE, statusMessage: "z".repeat(5000) };
    // Act
    const { body } = formatFailedLaunchMessage(failure, log, diagnoseBoot(lines), 100);
    // Assess
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body).toContain("message cut");
  });
});
