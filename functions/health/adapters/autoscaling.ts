// Auto Scaling reads (and the one write, abandoning a failed boot's lifecycle action) the health Lambda
// needs. Parsing of Auto Scaling's answers is kept in small pure functions beside the calls.
import {
  type Activity,
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
} from "@aws-sdk/client-auto-scaling";
import { describeError } from "../../shared/errors.js";
import type { LaunchActivity, RefreshFacts } from "../types.js";

/** Scaling activities read per call (the API maximum is 100). */
const ACTIVITY_PAGE_SIZE = 100;
/** Pages of activities read when counting or finding failures: a bounded look-back. */
const MAX_ACTIVITY_PAGES = 5;

const FAILED_STATUSES = new Set(["Failed", "Cancelled"]);
const LAUNCH_DESCRIPTION = /^Launching a new EC2 instance(?::\s*(i-[0-9a-f]+))?/;

/** A scaling activity → a launch activity, or undefined for terminations and other activities. */
export function toLaunchActivity(activity: Activity): LaunchActivity | undefined {
  const match = LAUNCH_DESCRIPTION.exec(activity.Description ?? "");
  if (!match || !activity.StartTime) return undefined;
  let details: Record<string, unknown> = {};
  try {
    details = activity.Details ? (JSON.parse(activity.Details) as Record<string, unknown>) : {};
  } catch {
    // Details is documented as a JSON string; a malformed one only costs the AZ.
  }
  const az = details["Availability Zone"];
  const subnet = details["Subnet ID"];
  return {
    ...(match[1] ? { instanceId: match[1] } : {}),
    ...(typeof az === "string" ? { availabilityZone: az } : {}),
    ...(typeof subnet === "string" ? { subnetId: subnet } : {}),
    statusCode: activity.StatusCode ?? "",
    ...(activity.StatusMessage ? { statusMessage: activity.StatusMessage } : {}),
    startTime: activity.StartTime,
  };
}

/** Failed or cancelled launch activities of the group that started at or after `since`, newest first. */
export async function failedLaunchesSince(
  autoscaling: AutoScalingClient,
  asgName: string,
  since: Date,
): Promise<LaunchActivity[]> {
  const found: LaunchActivity[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_ACTIVITY_PAGES; page++) {
    const out = await autoscaling.send(
      new DescribeScalingActivitiesCommand({
        AutoScalingGroupName: asgName,
        MaxRecords: ACTIVITY_PAGE_SIZE,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    const activities = out.Activities ?? [];
    for (const activity of activities) {
      const launch = toLaunchActivity(activity);
      if (launch && launch.startTime >= since && FAILED_STATUSES.has(launch.statusCode)) found.push(launch);
    }
    // Activities come newest first: once a page reaches back past `since`, older pages cannot match.
    const oldest = activities.at(-1)?.StartTime;
    token = out.NextToken;
    if (!token || (oldest && oldest < since)) break;
  }
  return found;
}

/** Availability Zone of an instance that is (still) in the group, for events that do not carry it. */
export async function instanceAvailabilityZone(
  autoscaling: AutoScalingClient,
  instanceId: string,
): Promise<string | undefined> {
  const out = await autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  return out.AutoScalingInstances?.[0]?.AvailabilityZone;
}

/** What DescribeInstanceRefreshes says about one refresh; a failed read becomes `describeProblem`. */
export async function describeRefresh(
  autoscaling: AutoScalingClient,
  asgName: string,
  refreshId: string,
): Promise<RefreshFacts & { startedAt?: Date }> {
  try {
    const out = await autoscaling.send(
      new DescribeInstanceRefreshesCommand({
        AutoScalingGroupName: asgName,
        InstanceRefreshIds: [refreshId],
      }),
    );
    const refresh = out.InstanceRefreshes?.[0];
    if (!refresh) return { describeProblem: `Auto Scaling does not know refresh ${refreshId}` };
    const lt = refresh.DesiredConfiguration?.LaunchTemplate;
    return {
      ...(refresh.Status ? { status: refresh.Status } : {}),
      ...(refresh.StatusReason ? { statusReason: refresh.StatusReason } : {}),
      ...(refresh.PercentageComplete !== undefined ? { percentageComplete: refresh.PercentageComplete } : {}),
      ...(refresh.StartTime
        ? { startTime: refresh.StartTime.toISOString(), startedAt: refresh.StartTime }
        : {}),
      ...(lt
        ? {
            desiredLaunchTemplate: `${lt.LaunchTemplateName ?? lt.LaunchTemplateId ?? "?"} version ${lt.Version ?? "?"}`,
          }
        : {}),
      ...(refresh.RollbackDetails?.RollbackReason
        ? { rollbackReason: refresh.RollbackDetails.RollbackReason }
        : {}),
    };
  } catch (error) {
    return { describeProblem: describeError(error) };
  }
}

export interface WaitingInstance {
  instanceId: string;
  availabilityZone?: string;
}

/** Instances of the group held in Pending:Wait by a launch lifecycle hook. */
export async function instancesInPendingWait(
  autoscaling: AutoScalingClient,
  asgName: string,
): Promise<WaitingInstance[]> {
  const out = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }),
  );
  return (out.AutoScalingGroups?.[0]?.Instances ?? [])
    .filter((i) => i.LifecycleState === "Pending:Wait" && i.InstanceId)
    .map((i) => ({
      instanceId: i.InstanceId!,
      ...(i.AvailabilityZone ? { availabilityZone: i.AvailabilityZone } : {}),
    }));
}

/** Names of the group's launch lifecycle hooks. */
export async function launchHookNames(autoscaling: AutoScalingClient, asgName: string): Promise<string[]> {
  const out = await autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: asgName }));
  return (out.LifecycleHooks ?? [])
    .filter((h) => h.LifecycleTransition === "autoscaling:EC2_INSTANCE_LAUNCHING" && h.LifecycleHookName)
    .map((h) => h.LifecycleHookName!);
}

/**
 * Ends a launch lifecycle wait with ABANDON so Auto Scaling replaces the instance now instead of at the
 * heartbeat timeout (up to hours later). Auto Scaling then emits EC2 Instance Launch Unsuccessful, which
 * carries the on-call message, so this sends none itself.
 */
export async function abandonLaunch(
  autoscaling: AutoScalingClient,
  asgName: string,
  hookName: string,
  instanceId: string,
): Promise<void> {
  await autoscaling.send(
    new CompleteLifecycleActionCommand({
      AutoScalingGroupName: asgName,
      LifecycleHookName: hookName,
      InstanceId: instanceId,
      LifecycleActionResult: "ABANDON",
    }),
  );
}
