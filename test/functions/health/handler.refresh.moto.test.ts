// Instance refresh Failed / Rollback* → on-call message with the refresh's state and the diagnosis of
// the sensors that failed to launch during it. moto has no DescribeInstanceRefreshes and always answers
// DescribeScalingActivities with nothing, so the Auto Scaling client is mocked (aws-sdk-client-mock) with
// response shapes from the API reference; CloudWatch Logs and SNS are moto.
import {
  type Activity,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
} from "@aws-sdk/client-auto-scaling";
import { CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type HealthDeps, runHealth } from "../../../functions/health/handler.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { loadEvent, loadLog, SENSOR_ASG } from "./support/fixtures.js";
import { createTopic, LOG_GROUP, makeDeps, publishedMessages, writeUserDataLog } from "./support/harness.js";

const REFRESH_ID = "c613620e-07e2-4ed2-a9e2-ef8258911ade";
const REFRESH_START = new Date("2026-11-24T02:20:00Z");
const FAILED_INSTANCE = "i-0d4c3b2a19f8e7d60";

/** A DescribeScalingActivities Activity as the API reference documents it. */
function activity(
  overrides: Partial<Activity> & Pick<Activity, "Description" | "StatusCode" | "StartTime">,
): Activity {
  return {
    ActivityId: `a-${overrides.StartTime?.getTime()}`,
    AutoScalingGroupName: SENSOR_ASG,
    Cause: "At 2026-11-24T02:21:00Z an instance was launched in response to an instance refresh.",
    Progress: 100,
    ...overrides,
  };
}

const ACTIVITIES: Activity[] = [
  activity({
    Description: `Launching a new EC2 instance: ${FAILED_INSTANCE}.  Status Reason: Instance failed to complete user's Lifecycle Action: Lifecycle Action with token 71514b9d-6a40-4b26-8523-05e7e0a1b2c3 was abandoned: Lifecycle Action Completed with ABANDON Result`,
    StatusCode: "Cancelled",
    StatusMessage:
      "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token 71514b9d-6a40-4b26-8523-05e7e0a1b2c3 was abandoned: Lifecycle Action Completed with ABANDON Result",
    StartTime: new Date("2026-11-24T02:21:05Z"),
    Details: JSON.stringify({ "Subnet ID": "subnet-0a7d2e4c6b8f13579", "Availability Zone": "us-east-1b" }),
  }),
  activity({
    Description: "Terminating EC2 instance: i-0123456789abcdef0",
    StatusCode: "Successful",
    StartTime: new Date("2026-11-24T02:20:30Z"),
  }),
  // A failed launch from before the refresh started: not part of this refresh.
  activity({
    Description: "Launching a new EC2 instance: i-0fffffffffffffff0.  Status Reason: Heartbeat Timeout",
    StatusCode: "Cancelled",
    StartTime: new Date("2026-11-24T01:00:00Z"),
  }),
];

describe("health: instance refresh failed / rolled back → on-call message", () => {
  const moto = useMoto();
  let topicArn: string;
  let deps: HealthDeps;
  let telemetry: CapturedTelemetry;
  let autoscaling: ReturnType<typeof mockClient>;

  beforeEach(async () => {
    telemetry = captureTelemetry();
    deps = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:placeholder");
    topicArn = await createTopic(deps.sns, "spanless-oncall");
    deps.config.alertTopicArn = topicArn;
    autoscaling = mockClient(deps.autoscaling);
    autoscaling.on(DescribeScalingActivitiesCommand).resolves({ Activities: ACTIVITIES });
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
  });
  afterEach(() => {
    autoscaling.restore();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  function refreshState(status: string, extra: Record<string, unknown> = {}) {
    autoscaling.on(DescribeInstanceRefreshesCommand).resolves({
      InstanceRefreshes: [
        {
          InstanceRefreshId: REFRESH_ID,
          AutoScalingGroupName: SENSOR_ASG,
          Status: status as "Failed",
          StatusReason: "Instance refresh failed: 1 instance failed to launch",
          StartTime: REFRESH_START,
          PercentageComplete: 0,
          DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: "spanless-sensor", Version: "8" } },
          ...extra,
        },
      ],
    });
  }

  it("names the failed sensor, its AZ, the failing step and cause from its boot log", async () => {
    // Prepare
    refreshState("RollbackSuccessful", {
      RollbackDetails: {
        RollbackReason: "Instance refresh failed and AutoRollback is enabled",
        InstancesToUpdateOnRollback: 0,
      },
    });
    await writeUserDataLog(deps.logs, FAILED_INSTANCE, loadLog("collector-unreachable"));
    // Act
    const result = await runHealth(deps, loadEvent("refresh-rollback-succeeded"));
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "collector-unreachable" });
    const [{ subject, body, attributes }] = await publishedMessages(moto, topicArn);
    expect(subject).toBe(
      "[Spanless] Instance refresh was rolled back: collector-unreachable (spanless-sensors)",
    );
    expect(attributes).toEqual({
      kind: "refresh-problem",
      outcome: "RollbackSucceeded",
      cause: "collector-unreachable",
      autoScalingGroupName: SENSOR_ASG,
    });
    expect(body).toContain("(instance refresh) was ROLLED BACK");
    expect(body).toContain(`Refresh:       ${REFRESH_ID}`);
    expect(body).toContain("Status:        RollbackSuccessful at 0%");
    expect(body).toContain("Rollback:      Instance refresh failed and AutoRollback is enabled");
    expect(body).toContain("Rolling to:    spanless-sensor version 8");
    expect(body).toContain(
      `Failed instance 1: ${FAILED_INSTANCE} in us-east-1b — collector-unreachable at collector-reachable`,
    );
    expect(body).toContain("Evidence: Error: connect ETIMEDOUT 198.51.100.24:443");
    expect(body).not.toContain("i-0fffffffffffffff0");
    const calls = autoscaling.commandCalls(DescribeScalingActivitiesCommand);
    expect(calls[0].args[0].input).toMatchObject({ AutoScalingGroupName: SENSOR_ASG });
    expect(telemetry.metricValues("InstanceRefreshProblems").map((m) => m.value)).toEqual([1]);
  });

  it.each([
    ["refresh-failed", "Failed", "[Spanless] Instance refresh failed", "keeps the instances it has"],
    [
      "refresh-rollback-started",
      "RollbackInProgress",
      "[Spanless] Instance refresh is rolling back",
      "restoring the previous",
    ],
    [
      "refresh-rollback-failed",
      "RollbackFailed",
      "[Spanless] Instance refresh rollback failed",
      "healthy sensors per AZ",
    ],
  ])("%s pages with the outcome and what it means", async (fixture, status, subjectStart, advice) => {
    // Prepare: the log group exists, the failed instance never shipped its log.
    refreshState(status);
    await deps.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
    // Act
    const result = await runHealth(deps, loadEvent(fixture));
    // Assess
    expect(result.action).toBe("notified");
    const [{ subject, body }] = await publishedMessages(moto, topicArn);
    expect(subject.startsWith(subjectStart)).toBe(true);
    expect(body).toContain(advice);
    // The failed launch has no log in moto: the message says so rather than failing.
    expect(body).toContain(`NO LOG STREAM ${FAILED_INSTANCE}-userdata`);
  });

  it("still pages when the refresh cannot be described, saying why", async () => {
    // Prepare
    const denied = Object.assign(
      new Error("User is not authorized to perform: autoscaling:DescribeInstanceRefreshes"),
      {
        name: "AccessDenied",
      },
    );
    autoscaling.on(DescribeInstanceRefreshesCommand).rejects(denied);
    // Act
    const result = await runHealth(deps, loadEvent("refresh-failed"));
    // Assess
    expect(result.action).toBe("notified");
    const [{ body }] = await publishedMessages(moto, topicArn);
    expect(body).toContain("Refresh state: unavailable (AccessDenied: User is not authorized");
    // Without a start time it looks back a bounded window from the event and still finds the failure.
    expect(body).toContain(`Failed instance 1: ${FAILED_INSTANCE}`);
  });
});
