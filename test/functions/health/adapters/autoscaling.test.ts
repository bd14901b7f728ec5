import { describe, expect, it } from "vitest";
import { toLaunchActivity } from "../../../../functions/health/adapters/autoscaling.js";

describe("toLaunchActivity", () => {
  it("reads the instance id, AZ and subnet of a launch activity (DescribeScalingActivities shape)", () => {
    // Prepare
    const activity = {
      ActivityId: "e1f5de0e-f93e-1417-34ac-092a76fba220",
      AutoScalingGroupName: "spanless-sensors",
      Description: "Launching a new EC2 instance: i-0f3c9a1e5b7d24680.  Status Reason: Heartbeat Timeout",
      Cause:
        "At 2026-11-24T02:05:04Z an instance was started in response to a difference between desired and actual capacity.",
      StartTime: new Date("2026-11-24T02:05:12Z"),
      StatusCode: "Cancelled" as const,
      StatusMessage: "Heartbeat Timeout",
      Details: '{"Subnet ID":"subnet-0a7d2e4c6b8f13579","Availability Zone":"us-east-1b"}',
    };
    // Act
    const launch = toLaunchActivity(activity);
    // Assess
    expect(launch).toEqual({
      instanceId: "i-0f3c9a1e5b7d24680",
      availabilityZone: "us-east-1b",
      subnetId: "subnet-0a7d2e4c6b8f13579",
      statusCode: "Cancelled",
      statusMessage: "Heartbeat Timeout",
      startTime: activity.StartTime,
    });
  });

  it("keeps a launch that got no instance and survives malformed Details", () => {
    // Prepare
    const activity = {
      ActivityId: "a",
      AutoScalingGroupName: "spanless-sensors",
      Description:
        "Launching a new EC2 instance.  Status Reason: We currently do not have sufficient capacity.",
      Cause: "capacity",
      StartTime: new Date("2026-11-24T02:20:31Z"),
      StatusCode: "Failed" as const,
      Details: "{not json",
    };
    // Act
    const launch = toLaunchActivity(activity);
    // Assess
    expect(launch).toEqual({ statusCode: "Failed", startTime: activity.StartTime });
  });

  it("ignores terminations", () => {
    // Prepare / Act / Assess
    expect(
      toLaunchActivity({
        ActivityId: "t",
        AutoScalingGroupName: "spanless-sensors",
        Description: "Terminating EC2 instance: i-0123456789abcdef0",
        Cause: "scale in",
        StartTime: new Date(),
        StatusCode: "Successful",
      }),
    ).toBeUndefined();
  });
});
