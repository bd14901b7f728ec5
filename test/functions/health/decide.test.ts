// The health Lambda's pure decisions, one rule at a time.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import {
  failedBootsToAbandon,
  failureMetric,
  MAX_REFRESH_INSTANCES_DIAGNOSED,
  REFRESH_LOOKBACK_MS,
  refreshFailures,
  refreshLookbackStart,
  retryInvocation,
  summarizeFleet,
  summaryMetrics,
} from "../../../functions/health/decide.js";
import { FleetReadError, NotificationPublishError } from "../../../functions/health/errors.js";
import type { FleetSummary, LaunchActivity, UserDataLog } from "../../../functions/health/types.js";
import { loadLog, SENSOR_ASG } from "./support/fixtures.js";

const marker = (step: string, status: string) =>
  `SPANLESS-BOOT v=1 ts=2026-11-24T02:08:43.002Z step=${step} status=${status}`;
const found = (lines: string[]): UserDataLog => ({
  status: "found",
  logGroup: "/g",
  logStream: "i-1-userdata",
  lines,
});

describe("failedBootsToAbandon", () => {
  it("abandons a boot whose last marker is a fail, on every launch hook", () => {
    // Prepare
    const waiting = [{ instanceId: "i-1", log: found(loadLog("kms-access-denied")) }];
    // Act
    const decisions = failedBootsToAbandon(waiting, ["hook-a", "hook-b"]);
    // Assess
    expect(decisions).toEqual([
      { instanceId: "i-1", hook: "hook-a", failingStep: "kms-decrypt" },
      { instanceId: "i-1", hook: "hook-b", failingStep: "kms-decrypt" },
    ]);
  });

  it("leaves a boot that retried after the failure, one still running and one without a log", () => {
    // Prepare
    const waiting = [
      {
        instanceId: "i-retried",
        log: found([marker("proxy-check", "fail"), marker("proxy-check", "retry")]),
      },
      { instanceId: "i-running", log: found([marker("fetch-config", "ok"), marker("kms-decrypt", "start")]) },
      {
        instanceId: "i-nolog",
        log: { status: "missing-stream", logGroup: "/g", logStream: "x" } as UserDataLog,
      },
    ];
    // Act
    const decisions = failedBootsToAbandon(waiting, ["hook"]);
    // Assess
    expect(decisions).toEqual([]);
  });
});

describe("refreshLookbackStart", () => {
  const now = new Date("2026-11-24T03:00:00Z");

  it("starts at the refresh's own start time when Auto Scaling gave one", () => {
    // Prepare
    const startedAt = new Date("2026-11-24T01:00:00Z");
    // Act
    const since = refreshLookbackStart(startedAt, { eventTime: "2026-11-24T02:00:00Z" }, now);
    // Assess
    expect(since).toEqual(startedAt);
  });

  it("looks back a fixed time from the event, or from now when the event time is unreadable", () => {
    // Prepare / Act
    const fromEvent = refreshLookbackStart(undefined, { eventTime: "2026-11-24T02:00:00Z" }, now);
    const fromNow = refreshLookbackStart(undefined, { eventTime: "" }, now);
    // Assess
    expect(fromEvent.getTime()).toBe(Date.parse("2026-11-24T02:00:00Z") - REFRESH_LOOKBACK_MS);
    expect(fromNow.getTime()).toBe(now.getTime() - REFRESH_LOOKBACK_MS);
  });
});

describe("refreshFailures", () => {
  it("diagnoses the newest failed launches only, as instance-refresh failures", () => {
    // Prepare
    const launches: LaunchActivity[] = [1, 2, 3, 4].map((n) => ({
      instanceId: `i-${n}`,
      availabilityZone: "us-east-1a",
      statusCode: "Failed",
      startTime: new Date(2026, 10, 24, 0, 0, 10 - n),
    }));
    const base = { autoScalingGroupName: SENSOR_ASG, eventTime: "t", region: "us-east-1", account: "1" };
    // Act
    const failures = refreshFailures(launches, base);
    // Assess
    expect(failures).toHaveLength(MAX_REFRESH_INSTANCES_DIAGNOSED);
    expect(failures[0]).toEqual({
      kind: "failed-launch",
      source: "instance-refresh",
      ...base,
      instanceId: "i-1",
      availabilityZone: "us-east-1a",
    });
  });
});

describe("failureMetric and retryInvocation", () => {
  it("counts replacements apart from failed launches", () => {
    // Prepare / Act / Assess
    expect(failureMetric({ source: "unhealthy-replaced" })).toBe("UnhealthySensorsReplaced");
    expect(failureMetric({ source: "launch-unsuccessful" })).toBe("LaunchFailures");
    expect(failureMetric({ source: "instance-refresh" })).toBe("LaunchFailures");
  });

  it("retries the invocation only for a page that was not published", () => {
    // Prepare
    const unpublished = new NotificationPublishError("no page", { cause: new Error("throttled") });
    const unreadable = new FleetReadError("no group");
    // Act / Assess
    expect(retryInvocation(unpublished)).toBe(true);
    expect(retryInvocation(unreadable)).toBe(false);
    expect(retryInvocation(new Error("boom"))).toBe(false);
  });
});

describe("summaryMetrics", () => {
  const summary: FleetSummary = {
    targetHealthKnown: true,
    healthyByAz: { "us-east-1a": 2, "us-east-1b": 0 },
    azsWithoutHealthySensor: ["us-east-1b"],
    healthyTotal: 2,
    launchFailures: 1,
    configVersionInService: "7",
    instancesByConfigVersion: { "6": 1, "7": 1 },
  };

  it("publishes healthy sensors per AZ, uncovered AZs, failures, versions", () => {
    // Prepare / Act
    const metrics = summaryMetrics(summary);
    // Assess
    expect(metrics).toEqual([
      {
        name: "HealthySensors",
        unit: MetricUnit.Count,
        value: 2,
        dimension: ["AvailabilityZone", "us-east-1a"],
      },
      {
        name: "HealthySensors",
        unit: MetricUnit.Count,
        value: 0,
        dimension: ["AvailabilityZone", "us-east-1b"],
      },
      { name: "AvailabilityZonesWithoutHealthySensor", unit: MetricUnit.Count, value: 1 },
      { name: "LaunchFailuresInPeriod", unit: MetricUnit.Count, value: 1 },
      { name: "ConfigVersionsRunning", unit: MetricUnit.Count, value: 2 },
      { name: "ConfigVersionInService", unit: MetricUnit.NoUnit, value: 7 },
    ]);
  });

  it("publishes no healthy counts when target health is unknown, and no version unless numeric", () => {
    // Prepare
    const unknown = {
      ...summary,
      targetHealthKnown: false,
      healthyByAz: {},
      configVersionInService: "$Latest",
    };
    // Act
    const names = summaryMetrics(unknown).map((m) => m.name);
    // Assess
    expect(names).toEqual(["LaunchFailuresInPeriod", "ConfigVersionsRunning"]);
  });
});

describe("summarizeFleet", () => {
  it("counts a sensor in two target groups once, healthy only if healthy in both", () => {
    // Prepare
    const reads = {
      groupAvailabilityZones: ["us-east-1a", "us-east-1b"],
      instances: [
        {
          instanceId: "i-1",
          availabilityZone: "us-east-1a",
          lifecycleState: "InService",
          launchTemplateVersion: "8",
        },
        {
          instanceId: "i-2",
          availabilityZone: "us-east-1b",
          lifecycleState: "InService",
          launchTemplateVersion: "8",
        },
      ],
      targets: [
        { targetGroupArn: "tg-udp", instanceId: "i-1", state: "healthy" },
        { targetGroupArn: "tg-geneve", instanceId: "i-1", state: "healthy" },
        { targetGroupArn: "tg-udp", instanceId: "i-2", state: "healthy" },
        { targetGroupArn: "tg-geneve", instanceId: "i-2", state: "unhealthy" },
      ],
      launchFailures: 3,
    };
    // Act
    const summary = summarizeFleet(reads);
    // Assess
    expect(summary.healthyByAz).toEqual({ "us-east-1a": 1, "us-east-1b": 0 });
    expect(summary.azsWithoutHealthySensor).toEqual(["us-east-1b"]);
    expect(summary.launchFailures).toBe(3);
    expect(summary.instancesByConfigVersion).toEqual({ "8": 2 });
  });
});
