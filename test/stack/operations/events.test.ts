// The rules' event patterns against the functions' own event fixtures and classifyEvent(): what a rule lets
// through is what the function acts on, and the schedules' inputs are classified as the ticks they are.
import { describe, expect, it } from "vitest";
import { classifyEvent as classifyHealth } from "../../../functions/health/events.js";
import { classifyEvent as classifyRefresh } from "../../../functions/instance-refresh/events.js";
import { classifyEvent as classifyMirror } from "../../../functions/mirror-on-launch/events.js";
import {
  DELIVERY,
  healthPattern,
  mirrorCloudTrailPattern,
  mirrorStateChangePattern,
  refreshOutcomesPattern,
  refreshParametersPattern,
  scheduleDelivery,
  scheduleInput,
} from "../../../stack/operations/events.js";
import { fixture, matches } from "./support/sources.js";

/** What EventBridge Scheduler substitutes for its context attributes. */
function delivered(input: string): unknown {
  return JSON.parse(
    input
      .replace("<aws.scheduler.execution-id>", "d1b2c3d4-0000-4000-8000-000000000001")
      .replace("<aws.scheduler.scheduled-time>", "2026-12-07T15:00:00Z")
      .replace("<aws.scheduler.schedule-arn>", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/x"),
  );
}

describe("mirror-on-launch rules", () => {
  it("lets through the final instance states and nothing transitional", () => {
    // Prepare
    const pattern = mirrorStateChangePattern();
    const states = ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"];

    // Act
    const passed = states.filter((s) => matches(pattern, fixture("mirror-on-launch", `ec2-state-${s}.json`)));

    // Assess
    expect(passed).toEqual(["running", "stopped", "terminated"]);
    for (const s of passed) {
      expect(classifyMirror(fixture("mirror-on-launch", `ec2-state-${s}.json`)).kind).toBe("instance");
    }
  });

  it("keeps the optional CloudTrail pattern to the calls the handler understands", () => {
    // Prepare
    const pattern = mirrorCloudTrailPattern();

    // Act
    const attach = fixture("mirror-on-launch", "cloudtrail-attach-network-interface.json");

    // Assess
    expect(matches(pattern, attach)).toBe(true);
    expect(classifyMirror(attach).kind).toBe("instance");
  });
});

describe("instance-refresh rules", () => {
  it("lets through every operation on the stage's parameters and nothing outside the prefix", () => {
    // Prepare
    const pattern = refreshParametersPattern("/spanless/prod");
    const files = ["create", "update", "delete", "label", "foreign"].map(
      (o) => `parameter-store-change-${o}.json`,
    );

    // Act
    const passed = files.filter((f) => matches(pattern, fixture("instance-refresh", f)));

    // Assess
    expect(passed).toHaveLength(4);
    expect(passed.some((f) => f.includes("foreign"))).toBe(false);
    expect(
      passed.every((f) => classifyRefresh(fixture("instance-refresh", f)).kind === "parameter-change"),
    ).toBe(true);
  });

  it("does not let a sibling prefix through (/spanless/prod-eu is not /spanless/prod)", () => {
    // Prepare
    const pattern = refreshParametersPattern("/spanless/prod");
    const event = fixture("instance-refresh", "parameter-store-change-update.json");

    // Act
    const sibling = {
      ...event,
      detail: { ...(event.detail as object), name: "/spanless/prod-eu/push-token" },
    };

    // Assess
    expect(matches(pattern, sibling)).toBe(false);
  });

  it("lets through every refresh phase of the sensor group only", () => {
    // Prepare
    const phases = [
      "started",
      "checkpoint-reached",
      "succeeded",
      "failed",
      "cancelled",
      "rollback-started",
      "rollback-succeeded",
      "rollback-failed",
    ];
    const events = phases.map((p) => fixture("instance-refresh", `instance-refresh-${p}.json`));

    // Act
    const ours = events.filter((e) => matches(refreshOutcomesPattern("spanless-prod-sensors"), e));
    const other = events.filter((e) => matches(refreshOutcomesPattern("someone-elses-group"), e));

    // Assess
    expect(ours).toHaveLength(phases.length);
    expect(other).toEqual([]);
    expect(ours.every((e) => classifyRefresh(e).kind === "refresh-outcome")).toBe(true);
  });
});

describe("health rule", () => {
  it("lets through the group's launch, termination, lifecycle and refresh events, each one health acts on", () => {
    // Prepare
    const files = [
      "launch-lifecycle-action.json",
      "launch-unsuccessful-abandoned.json",
      "launch-unsuccessful-heartbeat-timeout.json",
      "launch-unsuccessful-no-instance.json",
      "refresh-failed.json",
      "refresh-rollback-failed.json",
      "refresh-rollback-started.json",
      "refresh-rollback-succeeded.json",
      "terminate-unhealthy.json",
    ];
    const pattern = healthPattern("spanless-sensors");

    // Act
    const passed = files.filter((f) => matches(pattern, fixture("health", f)));

    // Assess
    expect(passed).toEqual(files);
    const kinds = passed.map((f) => classifyHealth(fixture("health", f), "spanless-sensors").kind);
    expect(kinds.filter((k) => k === "rejected" || k === "ignored")).toEqual([]);
    expect(files.filter((f) => matches(healthPattern("other-group"), fixture("health", f)))).toEqual([]);
  });
});

describe("schedules", () => {
  it("send instance-refresh a tick and health its summary trigger", () => {
    // Prepare
    const refreshTick = delivered(scheduleInput("instanceRefresh"));
    const healthTick = delivered(scheduleInput("health"));

    // Act
    const refresh = classifyRefresh(refreshTick);
    const health = classifyHealth(healthTick, "spanless-sensors");

    // Assess
    expect(refresh).toEqual({ kind: "tick", time: "2026-12-07T15:00:00Z" });
    expect(health.kind).toBe("scheduled-summary");
  });

  it("never ask the reconciler for a dry run", () => {
    // Prepare
    const input = delivered(scheduleInput("mirrorReconcile"));

    // Act
    const keys = Object.keys(input as object);

    // Assess
    expect(keys).not.toContain("dryRun");
  });

  it("retry within EventBridge's and Scheduler's bounds, no longer than one schedule period", () => {
    // Prepare
    const rates = [1, 5, 15, 1440];

    // Act
    const policies = rates.map(scheduleDelivery);

    // Assess
    for (const p of [DELIVERY, ...policies]) {
      expect(p.maximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(p.maximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
      expect(p.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(p.maximumRetryAttempts).toBeLessThanOrEqual(185);
    }
    expect(policies.map((p) => p.maximumEventAgeInSeconds)).toEqual([60, 300, 900, 86_400]);
  });
});
