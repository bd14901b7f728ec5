// The reads behind the scheduled fleet summary: the sensor group (Auto Scaling), NLB target health (ELBv2),
// launch failures in the period (scaling activities), mirror coverage (CloudWatch, the mirror automation's
// metric) and the configuration pins in service (EC2 launch template user data). `summarizeFleet` in
// ../decide.ts decides over what these return.
import { type AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { type CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { formatPinnedReference, PIN_ABSENT, parsePinBlock } from "../../../contracts/config/pins.js";
import { describeError } from "../../shared/errors.js";
import type { HealthConfig } from "../config.js";
import { FleetReadError } from "../errors.js";
import type { FleetReads, GroupInstance } from "../types.js";
import { failedLaunchesSince } from "./autoscaling.js";

export interface FleetClients {
  autoscaling: AutoScalingClient;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
}

async function readGroup(autoscaling: AutoScalingClient, asgName: string) {
  const out = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group)
    throw new FleetReadError(`Auto Scaling group ${asgName} does not exist (check SENSOR_ASG_NAME)`);
  const lt = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return {
    groupAvailabilityZones: group.AvailabilityZones ?? [],
    instances: (group.Instances ?? []).map(
      (i): GroupInstance => ({
        instanceId: i.InstanceId ?? "",
        ...(i.AvailabilityZone ? { availabilityZone: i.AvailabilityZone } : {}),
        ...(i.LifecycleState ? { lifecycleState: i.LifecycleState } : {}),
        ...(i.LaunchTemplate?.Version ? { launchTemplateVersion: i.LaunchTemplate.Version } : {}),
      }),
    ),
    ...(lt
      ? {
          launchTemplate: {
            ...(lt.LaunchTemplateId ? { id: lt.LaunchTemplateId } : {}),
            ...(lt.LaunchTemplateName ? { name: lt.LaunchTemplateName } : {}),
            version: lt.Version ?? "$Default",
          },
        }
      : {}),
  };
}

/** Pins in the user data of one launch template version; a problem string instead of throwing. */
async function readConfigPins(
  ec2: EC2Client,
  lt: NonNullable<FleetReads["launchTemplate"]>,
): Promise<Pick<FleetReads, "configPins" | "configPinsProblem">> {
  const which = lt.id ?? lt.name ?? "?";
  try {
    const out = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        ...(lt.id ? { LaunchTemplateId: lt.id } : { LaunchTemplateName: lt.name }),
        Versions: [lt.version],
      }),
    );
    const encoded = out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
    if (!encoded)
      return { configPinsProblem: `launch template ${which} version ${lt.version} has no user data` };
    const pins = parsePinBlock(Buffer.from(encoded, "base64").toString("utf8"));
    if (!pins) {
      return {
        configPinsProblem: `launch template ${which} version ${lt.version} has no spanless-config-pins block`,
      };
    }
    return {
      configPins: Object.fromEntries(
        Object.entries(pins).map(([key, pin]) => [
          key,
          pin === null ? PIN_ABSENT : formatPinnedReference(pin),
        ]),
      ),
    };
  } catch (error) {
    return {
      configPinsProblem: `could not read launch template ${which} version ${lt.version}: ${describeError(error)}`,
    };
  }
}

async function readTargets(elbv2: ElasticLoadBalancingV2Client, targetGroupArns: readonly string[]) {
  const targets: FleetReads["targets"] = [];
  for (const arn of targetGroupArns) {
    const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    for (const d of out.TargetHealthDescriptions ?? []) {
      if (!d.Target?.Id) continue;
      targets.push({
        targetGroupArn: arn,
        instanceId: d.Target.Id,
        state: d.TargetHealth?.State ?? "unknown",
        ...(d.Target.AvailabilityZone ? { availabilityZone: d.Target.AvailabilityZone } : {}),
      });
    }
  }
  return targets;
}

async function readMirrorCoverage(
  cloudwatch: CloudWatchClient,
  config: HealthConfig,
  now: Date,
): Promise<number | undefined> {
  const periodSeconds = config.summaryPeriodMinutes * 60;
  const out = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: config.mirrorCoverage.namespace,
      MetricName: config.mirrorCoverage.metricName,
      Dimensions: config.mirrorCoverage.dimensions,
      StartTime: new Date(now.getTime() - periodSeconds * 1000),
      EndTime: now,
      Period: periodSeconds,
      Statistics: ["Average"],
    }),
  );
  const latest = [...(out.Datapoints ?? [])]
    .filter((d) => d.Timestamp && d.Average !== undefined)
    .sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime())[0];
  return latest?.Average;
}

export async function collectFleet(
  clients: FleetClients,
  config: HealthConfig,
  now: Date,
): Promise<FleetReads> {
  const since = new Date(now.getTime() - config.summaryPeriodMinutes * 60_000);
  const step = async <T>(what: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof FleetReadError) throw error;
      throw new FleetReadError(`could not read ${what}: ${describeError(error)}`, { cause: error });
    }
  };
  const group = await step("the sensor Auto Scaling group", () =>
    readGroup(clients.autoscaling, config.autoScalingGroupName),
  );
  const targets = config.targetGroupArns.length
    ? await step("NLB target health", () => readTargets(clients.elbv2, config.targetGroupArns))
    : undefined;
  const launchFailures = await step(
    "scaling activities",
    async () => (await failedLaunchesSince(clients.autoscaling, config.autoScalingGroupName, since)).length,
  );
  const mirrorCoverage = await step(
    `metric ${config.mirrorCoverage.namespace}/${config.mirrorCoverage.metricName}`,
    () => readMirrorCoverage(clients.cloudwatch, config, now),
  );
  const pins = group.launchTemplate ? await readConfigPins(clients.ec2, group.launchTemplate) : {};
  return {
    ...group,
    ...pins,
    ...(targets ? { targets } : {}),
    launchFailures,
    ...(mirrorCoverage !== undefined ? { mirrorCoverage } : {}),
  };
}
