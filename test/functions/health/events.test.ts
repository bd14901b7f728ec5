import { describe, expect, it } from "vitest";
import { classifyEvent } from "../../../functions/health/events.js";
import { loadEvent, SENSOR_ASG } from "./support/fixtures.js";

describe("classifyEvent", () => {
  it("turns EC2 Instance Launch Unsuccessful into a failed launch with instance, AZ, subnet and ASG message", () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-heartbeat-timeout");
    // Act
    const trigger = classifyEvent(event, SENSOR_ASG);
    // Assess
    expect(trigger).toMatchObject({
      kind: "failed-launch",
      source: "launch-unsuccessful",
      autoScalingGroupName: SENSOR_ASG,
      instanceId: "i-0f3c9a1e5b7d24680",
      availabilityZone: "us-east-1b",
      subnetId: "subnet-0a7d2e4c6b8f13579",
      region: "us-east-1",
      account: "123456789012",
      eventTime: "2026-11-24T03:07:41Z",
    });
    if (trigger.kind === "failed-launch") expect(trigger.statusMessage).toMatch(/Heartbeat Timeout$/);
  });

  it("keeps a launch that never got an instance (empty EC2InstanceId) without an instance id", () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-no-instance");
    // Act
    const trigger = classifyEvent(event, SENSOR_ASG);
    // Assess
    expect(trigger.kind).toBe("failed-launch");
    if (trigger.kind === "failed-launch") {
      expect(trigger.instanceId).toBeUndefined();
      expect(trigger.availabilityZone).toBe("us-east-1c");
    }
  });

  it("recognises the launch lifecycle action as the start of a wait, not a failure", () => {
    // Prepare
    const event = loadEvent("launch-lifecycle-action");
    // Act
    const trigger = classifyEvent(event, SENSOR_ASG);
    // Assess
    expect(trigger).toEqual({
      kind: "lifecycle-wait-started",
      autoScalingGroupName: SENSOR_ASG,
      instanceId: "i-0f3c9a1e5b7d24680",
      lifecycleHookName: "spanless-sensor-boot",
    });
  });

  it.each([
    ["refresh-failed", "Failed"],
    ["refresh-rollback-started", "RollbackStarted"],
    ["refresh-rollback-succeeded", "RollbackSucceeded"],
    ["refresh-rollback-failed", "RollbackFailed"],
  ])("maps %s to the refresh outcome %s", (fixture, outcome) => {
    // Prepare
    const event = loadEvent(fixture);
    // Act
    const trigger = classifyEvent(event, SENSOR_ASG);
    // Assess
    expect(trigger).toMatchObject({
      kind: "refresh-problem",
      outcome,
      instanceRefreshId: "c613620e-07e2-4ed2-a9e2-ef8258911ade",
      autoScalingGroupName: SENSOR_ASG,
    });
  });

  it("turns a health-check replacement into an unhealthy-sensor report, and ignores scale-in", () => {
    // Prepare
    const unhealthy = loadEvent("terminate-unhealthy");
    const scaleIn = loadEvent("terminate-unhealthy");
    scaleIn.detail.Cause =
      "At 2026-11-24T04:11:31Z an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 3 to 2.";
    // Act
    const report = classifyEvent(unhealthy, SENSOR_ASG);
    const ignored = classifyEvent(scaleIn, SENSOR_ASG);
    // Assess
    expect(report).toMatchObject({
      kind: "failed-launch",
      source: "unhealthy-replaced",
      instanceId: "i-0e1d2c3b4a5968778",
      availabilityZone: "us-east-1a",
      statusMessage: expect.stringContaining("ELB system health check failure"),
    });
    expect(ignored).toEqual({ kind: "ignored", reason: "termination was not a health-check replacement" });
  });

  it("turns the schedule into a fleet summary", () => {
    // Prepare / Act
    const trigger = classifyEvent(loadEvent("scheduled"), SENSOR_ASG);
    // Assess
    expect(trigger).toMatchObject({ kind: "scheduled-summary", region: "us-east-1" });
  });

  it("ignores events for other groups, terminate lifecycle actions and refresh successes", () => {
    // Prepare
    const otherGroup = loadEvent("launch-unsuccessful-abandoned");
    otherGroup.detail.AutoScalingGroupName = "web-tier";
    const terminate = loadEvent("launch-lifecycle-action");
    terminate["detail-type"] = "EC2 Instance-terminate Lifecycle Action";
    const terminating = loadEvent("launch-lifecycle-action");
    terminating.detail.LifecycleTransition = "autoscaling:EC2_INSTANCE_TERMINATING";
    const succeeded = loadEvent("refresh-failed");
    succeeded["detail-type"] = "EC2 Auto Scaling Instance Refresh Succeeded";
    // Act
    const kinds = [otherGroup, terminate, terminating, succeeded].map((e) => classifyEvent(e, SENSOR_ASG));
    // Assess
    expect(kinds.map((k) => k.kind)).toEqual(["ignored", "ignored", "ignored", "ignored"]);
    expect(kinds[0]).toMatchObject({ reason: expect.stringContaining("web-tier") });
  });

  it("rejects malformed events with a problem that names the field, and never throws", () => {
    // Prepare
    const noGroup = loadEvent("launch-unsuccessful-abandoned");
    delete noGroup.detail.AutoScalingGroupName;
    const noRefreshId = loadEvent("refresh-rollback-failed");
    noRefreshId.detail.InstanceRefreshId = "";
    const wrongSource = loadEvent("refresh-failed");
    wrongSource.source = "aws.ec2";
    const inputs: unknown[] = [null, "text", 42, {}, { "detail-type": 7 }, noGroup, noRefreshId, wrongSource];
    // Act
    const results = inputs.map((e) => classifyEvent(e, SENSOR_ASG));
    // Assess
    for (const r of results) expect(r.kind).toBe("rejected");
    expect(results[5]).toMatchObject({ problem: expect.stringContaining("AutoScalingGroupName") });
    expect(results[6]).toMatchObject({ problem: expect.stringContaining("InstanceRefreshId") });
    expect(results[7]).toMatchObject({ problem: expect.stringContaining('"aws.ec2"') });
  });
});
