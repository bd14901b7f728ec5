// Event → what the health Lambda must do. Pure: validates the EventBridge envelope and the Auto
// Scaling detail shapes (AWS event reference) and never throws; a bad event becomes `rejected` with a
// problem statement precise enough to fix the rule that sent it.
import { z } from "zod";
import type { HealthTrigger, RefreshOutcome } from "./types.js";

const DETAIL_TYPES = {
  launchUnsuccessful: "EC2 Instance Launch Unsuccessful",
  terminateSuccessful: "EC2 Instance Terminate Successful",
  launchLifecycleAction: "EC2 Instance-launch Lifecycle Action",
  refreshFailed: "EC2 Auto Scaling Instance Refresh Failed",
  refreshRollbackStarted: "EC2 Auto Scaling Instance Refresh Rollback Started",
  refreshRollbackSucceeded: "EC2 Auto Scaling Instance Refresh Rollback Succeeded",
  refreshRollbackFailed: "EC2 Auto Scaling Instance Refresh Rollback Failed",
  scheduled: "Scheduled Event",
} as const;

const REFRESH_OUTCOMES: Record<string, RefreshOutcome> = {
  [DETAIL_TYPES.refreshFailed]: "Failed",
  [DETAIL_TYPES.refreshRollbackStarted]: "RollbackStarted",
  [DETAIL_TYPES.refreshRollbackSucceeded]: "RollbackSucceeded",
  [DETAIL_TYPES.refreshRollbackFailed]: "RollbackFailed",
};

const envelope = z.object({
  "detail-type": z.string(),
  source: z.string(),
  account: z.string().default(""),
  time: z.string().default(""),
  region: z.string().default(""),
  resources: z.array(z.string()).default([]),
  detail: z.unknown(),
});

const nonEmpty = z.string().min(1);

const launchUnsuccessfulDetail = z.object({
  AutoScalingGroupName: nonEmpty,
  StatusCode: z.string().optional(),
  StatusMessage: z.string().optional(),
  // Empty when EC2 never created an instance (e.g. InsufficientInstanceCapacity).
  EC2InstanceId: z.string().optional(),
  Cause: z.string().optional(),
  Details: z
    .object({ "Availability Zone": z.string().optional(), "Subnet ID": z.string().optional() })
    .partial()
    .optional(),
});

const lifecycleActionDetail = z.object({
  AutoScalingGroupName: nonEmpty,
  EC2InstanceId: nonEmpty,
  LifecycleHookName: nonEmpty,
  LifecycleTransition: z.string(),
  LifecycleActionToken: z.string().optional(),
});

const refreshDetail = z.object({ AutoScalingGroupName: nonEmpty, InstanceRefreshId: nonEmpty });

/**
 * Auto Scaling's Cause when it replaces an instance for failing a health check (troubleshooting guide
 * wording: "taken out of service in response to an ELB system health check failure", "… an EC2 instance
 * status checks failure"). Scale-in, scheduled reboots and refresh replacements do not match.
 */
const UNHEALTHY_TERMINATION_CAUSE =
  /taken out of service in response to an? (?:ELB (?:system )?health check failure|EC2 instance status checks? failure|user health-check)/i;

function problemOf(error: z.ZodError, what: string): string {
  const first = error.issues[0];
  const path = first?.path.length ? first.path.join(".") : "(root)";
  return `${what}: field ${path} — ${first?.message ?? "invalid"}`;
}

/** Classifies one EventBridge event for the sensor group `asgName`. */
export function classifyEvent(event: unknown, asgName: string): HealthTrigger {
  const env = envelope.safeParse(event);
  if (!env.success) {
    return { kind: "rejected", problem: problemOf(env.error, "not an EventBridge event") };
  }
  const { "detail-type": detailType, source, account, time, region } = env.data;
  const base = { eventTime: time, region, account };

  if (source === "aws.events" && detailType === DETAIL_TYPES.scheduled) {
    return { kind: "scheduled-summary", ...base };
  }
  if (source !== "aws.autoscaling") {
    return { kind: "rejected", problem: `unexpected event source "${source}" (detail-type "${detailType}")` };
  }

  if (detailType === DETAIL_TYPES.launchUnsuccessful) {
    const detail = launchUnsuccessfulDetail.safeParse(env.data.detail);
    if (!detail.success) return { kind: "rejected", problem: problemOf(detail.error, detailType) };
    const d = detail.data;
    if (d.AutoScalingGroupName !== asgName) {
      return { kind: "ignored", reason: `launch failure in group ${d.AutoScalingGroupName}, not ${asgName}` };
    }
    return {
      kind: "failed-launch",
      source: "launch-unsuccessful",
      autoScalingGroupName: d.AutoScalingGroupName,
      ...(d.EC2InstanceId ? { instanceId: d.EC2InstanceId } : {}),
      ...(d.Details?.["Availability Zone"] ? { availabilityZone: d.Details["Availability Zone"] } : {}),
      ...(d.Details?.["Subnet ID"] ? { subnetId: d.Details["Subnet ID"] } : {}),
      ...(d.StatusMessage ? { statusMessage: d.StatusMessage } : {}),
      ...(d.Cause ? { activityCause: d.Cause } : {}),
      ...base,
    };
  }

  if (detailType === DETAIL_TYPES.terminateSuccessful) {
    const detail = launchUnsuccessfulDetail.safeParse(env.data.detail);
    if (!detail.success) return { kind: "rejected", problem: problemOf(detail.error, detailType) };
    const d = detail.data;
    if (d.AutoScalingGroupName !== asgName) {
      return { kind: "ignored", reason: `termination in group ${d.AutoScalingGroupName}, not ${asgName}` };
    }
    if (!d.Cause || !UNHEALTHY_TERMINATION_CAUSE.test(d.Cause) || !d.EC2InstanceId) {
      return { kind: "ignored", reason: "termination was not a health-check replacement" };
    }
    return {
      kind: "failed-launch",
      source: "unhealthy-replaced",
      autoScalingGroupName: d.AutoScalingGroupName,
      instanceId: d.EC2InstanceId,
      ...(d.Details?.["Availability Zone"] ? { availabilityZone: d.Details["Availability Zone"] } : {}),
      ...(d.Details?.["Subnet ID"] ? { subnetId: d.Details["Subnet ID"] } : {}),
      // For a replacement, Auto Scaling's explanation is the Cause, not the (empty) StatusMessage.
      statusMessage: d.Cause,
      ...base,
    };
  }

  if (detailType === DETAIL_TYPES.launchLifecycleAction) {
    const detail = lifecycleActionDetail.safeParse(env.data.detail);
    if (!detail.success) return { kind: "rejected", problem: problemOf(detail.error, detailType) };
    const d = detail.data;
    if (d.AutoScalingGroupName !== asgName) {
      return {
        kind: "ignored",
        reason: `lifecycle action in group ${d.AutoScalingGroupName}, not ${asgName}`,
      };
    }
    if (d.LifecycleTransition !== "autoscaling:EC2_INSTANCE_LAUNCHING") {
      return { kind: "ignored", reason: `lifecycle transition ${d.LifecycleTransition} is not a launch` };
    }
    return {
      kind: "lifecycle-wait-started",
      autoScalingGroupName: d.AutoScalingGroupName,
      instanceId: d.EC2InstanceId,
      lifecycleHookName: d.LifecycleHookName,
    };
  }

  const outcome = REFRESH_OUTCOMES[detailType];
  if (outcome) {
    const detail = refreshDetail.safeParse(env.data.detail);
    if (!detail.success) return { kind: "rejected", problem: problemOf(detail.error, detailType) };
    if (detail.data.AutoScalingGroupName !== asgName) {
      return {
        kind: "ignored",
        reason: `instance refresh in group ${detail.data.AutoScalingGroupName}, not ${asgName}`,
      };
    }
    return {
      kind: "refresh-problem",
      outcome,
      autoScalingGroupName: detail.data.AutoScalingGroupName,
      instanceRefreshId: detail.data.InstanceRefreshId,
      ...base,
    };
  }

  return { kind: "ignored", reason: `detail-type "${detailType}" needs no health action` };
}
