// The scheduled fleet summary against moto (Auto Scaling group with a launch template, NLB target group
// health, the mirror automation's CloudWatch metric), and the failed-boot sweep, which needs
// CompleteLifecycleAction (not in moto) and Pending:Wait instances (moto never holds one), so that part
// mocks the Auto Scaling client with shapes from the API reference.
import {
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
} from "@aws-sdk/client-auto-scaling";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateLaunchTemplateCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sensorParameterNames } from "../../../contracts/config/names.js";
import { pinsFor, renderPinBlock } from "../../../contracts/config/pins.js";
import { type HealthDeps, runHealth } from "../../../functions/health/handler.js";
import {
  FUNCTION_NAME as MIRROR_FUNCTION_NAME,
  METRIC as MIRROR_METRIC,
} from "../../../functions/mirror-on-launch/metrics.js";
import { METRICS_NAMESPACE, serviceName } from "../../../functions/shared/telemetry.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { loadEvent, loadLog, SENSOR_ASG } from "./support/fixtures.js";
import { createTopic, makeDeps, publishedMessages, writeUserDataLog } from "./support/harness.js";

/** User data as the stack renders it, with the pin block instance-refresh maintains. */
const USER_DATA = Buffer.from(
  [
    "#!/bin/bash",
    "set -euo pipefail",
    renderPinBlock(
      pinsFor(sensorParameterNames("/spanless/prod"), {
        "collector-url": 4,
        "push-token": 7,
        "os-sensor-hmac": 3,
      }),
    ).trimEnd(),
    "exec /opt/spanless/bin/spanless-boot",
  ].join("\n"),
).toString("base64");

describe("health: scheduled fleet summary", () => {
  const moto = useMoto();
  let telemetry: CapturedTelemetry;

  beforeEach(async () => {
    telemetry = captureTelemetry();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /** A sensor group of `desired` instances over two AZs behind a UDP 4789 target group. */
  async function sensorFleet(deps: HealthDeps, desired: number) {
    const ec2 = new EC2Client(moto.clientConfig);
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId!;
    const subnets = (
      await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))
    ).Subnets!;
    const byAz = new Map(subnets.map((s) => [s.AvailabilityZone!, s.SubnetId!]));
    const azs = [...byAz.keys()].sort().slice(0, 2);
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "spanless-sensor",
        LaunchTemplateData: { ImageId: "ami-12c6146b", InstanceType: "c5n.large", UserData: USER_DATA },
      }),
    );
    const tg = await deps.elbv2.send(
      new CreateTargetGroupCommand({
        Name: "spanless-vxlan",
        Protocol: "UDP",
        Port: 4789,
        VpcId: vpcId,
        TargetType: "instance",
        HealthCheckProtocol: "TCP",
        HealthCheckPort: "8443",
      }),
    );
    const targetGroupArn = tg.TargetGroups![0].TargetGroupArn!;
    await deps.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: SENSOR_ASG,
        LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!, Version: "1" },
        MinSize: desired,
        MaxSize: desired * 2,
        DesiredCapacity: desired,
        VPCZoneIdentifier: azs.map((az) => byAz.get(az)).join(","),
        TargetGroupARNs: [targetGroupArn],
      }),
    );
    const group = (
      await deps.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [SENSOR_ASG] }),
      )
    ).AutoScalingGroups![0];
    return { ec2, azs, targetGroupArn, instances: group.Instances!, groupAzs: group.AvailabilityZones! };
  }

  it("counts healthy sensors per AZ from target health, flags an AZ with none, reads coverage and config version", async () => {
    // Prepare
    const base = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:placeholder");
    const { ec2, targetGroupArn, instances, groupAzs } = await sensorFleet(base, 2);
    const deps = makeDeps(moto, await createTopic(base.sns, "spanless-oncall"), {
      SENSOR_TARGET_GROUP_ARNS: targetGroupArn,
      SUMMARY_PERIOD_MINUTES: "15",
    });
    deps.now = () => new Date();
    // One sensor stops: its target is no longer healthy, so its AZ has no healthy sensor.
    const stopped = instances[0];
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped.InstanceId!] }));
    // Exactly what mirror-on-launch's reconciler publishes: the defaults must read it.
    await deps.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: MIRROR_METRIC.coverage,
            Dimensions: [{ Name: "service", Value: serviceName(MIRROR_FUNCTION_NAME) }],
            Value: 87.5,
            Unit: "Percent",
            Timestamp: new Date(Date.now() - 60_000),
          },
        ],
      }),
    );
    const expectedHealthy = Object.fromEntries(
      groupAzs.map((az) => [az, instances.filter((i) => i.AvailabilityZone === az && i !== stopped).length]),
    );
    // Act
    const result = await runHealth(deps, loadEvent("scheduled"));
    // Assess
    expect(result.action).toBe("summarized");
    if (result.action !== "summarized") return;
    const { summary } = result;
    for (const [az, count] of Object.entries(expectedHealthy)) expect(summary.healthyByAz[az]).toBe(count);
    expect(summary.healthyTotal).toBe(instances.length - 1);
    expect(summary.azsWithoutHealthySensor).toEqual(
      Object.entries(expectedHealthy)
        .filter(([, n]) => n === 0)
        .map(([az]) => az),
    );
    expect(summary.mirrorCoverage).toBe(87.5);
    expect(summary.configVersionInService).toBe("1");
    expect(summary.configPins).toEqual({
      "collector-url": "/spanless/prod/collector-url:4",
      "push-token": "/spanless/prod/push-token:7",
      proxy: "none",
      "os-sensor-hmac": "/spanless/prod/os-sensor-hmac:3",
    });
    expect(summary.launchFailures).toBe(0);
    const perAz = telemetry.metricValues("HealthySensors");
    expect(perAz.map((m) => [m.record.AvailabilityZone, m.value]).sort()).toEqual(
      Object.entries(summary.healthyByAz).sort(),
    );
    expect(telemetry.metricValues("AvailabilityZonesWithoutHealthySensor")[0].value).toBe(
      summary.azsWithoutHealthySensor.length,
    );
    expect(telemetry.metricValues("ConfigVersionInService")[0].value).toBe(1);
    expect(await publishedMessages(moto, deps.config.alertTopicArn)).toEqual([]);
  });

  it("uses the configured namespace, metric name and dimensions for mirror coverage", async () => {
    // Prepare
    const base = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:placeholder");
    await sensorFleet(base, 1);
    const deps = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:t", {
      MIRROR_COVERAGE_NAMESPACE: "Acme/Mirror",
      MIRROR_COVERAGE_METRIC: "CoveredEnis",
      MIRROR_COVERAGE_DIMENSIONS: "Vpc=vpc-1",
    });
    deps.now = () => new Date();
    const at = new Date(Date.now() - 60_000);
    await deps.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "Acme/Mirror",
        MetricData: [
          {
            MetricName: "CoveredEnis",
            Value: 42,
            Timestamp: at,
            Dimensions: [{ Name: "Vpc", Value: "vpc-1" }],
          },
          {
            MetricName: "CoveredEnis",
            Value: 7,
            Timestamp: at,
            Dimensions: [{ Name: "Vpc", Value: "vpc-2" }],
          },
        ],
      }),
    );
    // Act
    const result = await runHealth(deps, loadEvent("scheduled"));
    // Assess
    expect(result.action).toBe("summarized");
    if (result.action === "summarized") expect(result.summary.mirrorCoverage).toBe(42);
  });

  it("logs and counts a summary that cannot read its group instead of throwing", async () => {
    // Prepare: no Auto Scaling group exists in moto.
    const deps = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:t");
    // Act
    const result = await runHealth(deps, loadEvent("scheduled"));
    // Assess
    expect(result).toEqual({
      action: "none",
      reason: expect.stringContaining(`group ${SENSOR_ASG} does not exist`),
    });
    expect(telemetry.metricValues("HealthHandlerErrors").map((m) => m.value)).toEqual([1]);
  });

  it("abandons the lifecycle wait of a sensor whose boot failed, and leaves one still booting alone", async () => {
    // Prepare
    const deps = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:t");
    deps.now = () => new Date();
    deps.config.alertTopicArn = await createTopic(deps.sns, "spanless-oncall");
    await writeUserDataLog(deps.logs, "i-0aaaaaaaaaaaaaaa1", loadLog("kms-access-denied"));
    await writeUserDataLog(deps.logs, "i-0bbbbbbbbbbbbbbb2", loadLog("hung-no-fail"));
    const autoscaling = mockClient(deps.autoscaling);
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: SENSOR_ASG,
          MinSize: 2,
          MaxSize: 4,
          DesiredCapacity: 3,
          DefaultCooldown: 300,
          AvailabilityZones: ["us-east-1a", "us-east-1b"],
          HealthCheckType: "ELB",
          CreatedTime: new Date("2026-11-01T00:00:00Z"),
          LaunchTemplate: { LaunchTemplateName: "spanless-sensor", Version: "8" },
          Instances: [
            {
              InstanceId: "i-0aaaaaaaaaaaaaaa1",
              AvailabilityZone: "us-east-1a",
              LifecycleState: "Pending:Wait",
              HealthStatus: "Healthy",
              ProtectedFromScaleIn: false,
              LaunchTemplate: { Version: "8" },
            },
            {
              InstanceId: "i-0bbbbbbbbbbbbbbb2",
              AvailabilityZone: "us-east-1b",
              LifecycleState: "Pending:Wait",
              HealthStatus: "Healthy",
              ProtectedFromScaleIn: false,
              LaunchTemplate: { Version: "8" },
            },
            {
              InstanceId: "i-0ccccccccccccccc3",
              AvailabilityZone: "us-east-1b",
              LifecycleState: "InService",
              HealthStatus: "Healthy",
              ProtectedFromScaleIn: false,
              LaunchTemplate: { Version: "7" },
            },
          ],
        },
      ],
    });
    autoscaling.on(DescribeLifecycleHooksCommand).resolves({
      LifecycleHooks: [
        {
          LifecycleHookName: "spanless-sensor-boot",
          AutoScalingGroupName: SENSOR_ASG,
          LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
          HeartbeatTimeout: 3600,
          DefaultResult: "ABANDON",
        },
        {
          LifecycleHookName: "spanless-drain",
          AutoScalingGroupName: SENSOR_ASG,
          LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
          HeartbeatTimeout: 300,
          DefaultResult: "CONTINUE",
        },
      ],
    });
    autoscaling.on(CompleteLifecycleActionCommand).resolves({});
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const launch = (id: string, status: "Cancelled" | "Failed" | "Successful", at: Date) => ({
      ActivityId: `act-${id}`,
      AutoScalingGroupName: SENSOR_ASG,
      Description: `Launching a new EC2 instance: ${id}`,
      Cause:
        "At 2026-11-24T02:00:00Z an instance was started in response to a difference between desired and actual capacity.",
      StartTime: at,
      StatusCode: status,
    });
    autoscaling.on(DescribeScalingActivitiesCommand).resolves({
      Activities: [
        launch("i-0dddddddddddddd01", "Successful", minutesAgo(1)),
        launch("i-0dddddddddddddd02", "Cancelled", minutesAgo(5)),
        launch("i-0dddddddddddddd03", "Failed", minutesAgo(10)),
        // Outside the 15-minute summary period.
        launch("i-0dddddddddddddd04", "Failed", minutesAgo(30)),
      ],
    });
    // Act
    const result = await runHealth(deps, loadEvent("scheduled"));
    // Assess
    expect(result.action).toBe("summarized");
    if (result.action !== "summarized") return;
    expect(result.abandoned).toEqual(["i-0aaaaaaaaaaaaaaa1"]);
    const completions = autoscaling.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input);
    expect(completions).toEqual([
      {
        AutoScalingGroupName: SENSOR_ASG,
        LifecycleHookName: "spanless-sensor-boot",
        InstanceId: "i-0aaaaaaaaaaaaaaa1",
        LifecycleActionResult: "ABANDON",
      },
    ]);
    // The Launch Unsuccessful event that follows carries the page: the sweep sends none itself.
    expect(await publishedMessages(moto, deps.config.alertTopicArn)).toEqual([]);
    expect(telemetry.metricValues("FailedBootsAbandoned")[0].value).toBe(1);
    expect(result.summary.instancesByConfigVersion).toEqual({ "7": 1 });
    // No target group configured: healthy counts are unknown, not zero, and not published.
    expect(result.summary.targetHealthKnown).toBe(false);
    expect(result.summary.azsWithoutHealthySensor).toEqual([]);
    expect(telemetry.metricValues("HealthySensors")).toEqual([]);
    expect(telemetry.metricValues("AvailabilityZonesWithoutHealthySensor")).toEqual([]);
    expect(result.summary.launchFailures).toBe(2);
    expect(telemetry.metricValues("LaunchFailuresInPeriod")[0].value).toBe(2);
    autoscaling.restore();
  });
});
