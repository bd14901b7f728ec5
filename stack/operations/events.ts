// The EventBridge rules (event patterns, from each function's README and events.ts), the delivery policy
// every rule target and schedule shares, and the inputs the schedules send. Pure, so the patterns can be
// tested against the functions' own classifyEvent().
import type { FunctionKey } from "./functions.js";

/** An EventBridge event pattern (the JSON the rule stores). */
export type EventPattern = Record<string, unknown>;

export type RuleKey =
  | "mirrorStateChange"
  | "mirrorCloudTrail"
  | "refreshParameters"
  | "refreshOutcomes"
  | "health";

export interface RuleSpec {
  key: RuleKey;
  /** Physical name suffix: `<prefix>-<suffix>`. */
  suffix: string;
  description: string;
  target: FunctionKey;
}

export const RULES: Readonly<Record<RuleKey, RuleSpec>> = {
  mirrorStateChange: {
    key: "mirrorStateChange",
    suffix: "mirror-state-change",
    description: "EC2 instance running/stopped/terminated → mirror-on-launch (mirror or unmirror its ENIs)",
    target: "mirrorEvents",
  },
  mirrorCloudTrail: {
    key: "mirrorCloudTrail",
    suffix: "mirror-cloudtrail",
    description: "ENI attached, tags changed, session deleted (CloudTrail) → mirror-on-launch",
    target: "mirrorEvents",
  },
  refreshParameters: {
    key: "refreshParameters",
    suffix: "refresh-parameters",
    description: "Sensor configuration parameter changed → instance-refresh (debounce, validate, roll out)",
    target: "instanceRefresh",
  },
  refreshOutcomes: {
    key: "refreshOutcomes",
    suffix: "refresh-outcomes",
    description:
      "Instance refresh of the sensor group started/ended → instance-refresh (report, roll the queue)",
    target: "instanceRefresh",
  },
  health: {
    key: "health",
    suffix: "health-events",
    description:
      "Sensor launch failed, unhealthy sensor replaced, refresh failed/rolled back → health (page)",
    target: "health",
  },
};

/** mirror-on-launch README: final states only (pending/stopping/shutting-down are always followed by one). */
export function mirrorStateChangePattern(): EventPattern {
  return {
    source: ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    detail: { state: ["running", "stopped", "terminated"] },
  };
}

/** mirror-on-launch README (optional: needs a CloudTrail trail recording management events). */
export function mirrorCloudTrailPattern(): EventPattern {
  return {
    source: ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["ec2.amazonaws.com"],
      eventName: ["AttachNetworkInterface", "CreateTags", "DeleteTags", "DeleteTrafficMirrorSession"],
    },
  };
}

/** instance-refresh README rule 1, for the stack's parameter prefix (the trailing slash keeps /prod-x out). */
export function refreshParametersPattern(parameterPrefix: string): EventPattern {
  return {
    source: ["aws.ssm"],
    "detail-type": ["Parameter Store Change"],
    detail: {
      name: [{ prefix: `${parameterPrefix}/` }],
      operation: ["Create", "Update", "Delete", "LabelParameterVersion"],
    },
  };
}

/** instance-refresh README rule 2: every instance refresh event of the sensor group. */
export function refreshOutcomesPattern<V>(asgName: V): EventPattern {
  return {
    source: ["aws.autoscaling"],
    "detail-type": [{ prefix: "EC2 Auto Scaling Instance Refresh " }],
    detail: { AutoScalingGroupName: [asgName] },
  };
}

/** health README: the launch, termination, lifecycle and refresh events of the sensor group. */
export function healthPattern<V>(asgName: V): EventPattern {
  return {
    source: ["aws.autoscaling"],
    "detail-type": [
      "EC2 Instance Launch Unsuccessful",
      "EC2 Instance Terminate Successful",
      "EC2 Instance-launch Lifecycle Action",
      "EC2 Auto Scaling Instance Refresh Failed",
      "EC2 Auto Scaling Instance Refresh Rollback Started",
      "EC2 Auto Scaling Instance Refresh Rollback Succeeded",
      "EC2 Auto Scaling Instance Refresh Rollback Failed",
    ],
    detail: { AutoScalingGroupName: [asgName] },
  };
}

/**
 * Delivery of every rule target and schedule. EventBridge's default is 24 hours and 185 attempts, then the
 * event is dropped (aws-facts 4.11). These events are about *now*: a state change or a failed launch an hour
 * old is stale (the reconciler and the one-minute tick catch up anyway), so give up after an hour and keep
 * what could not be delivered in the dead-letter queue, where the DLQ alarm pages.
 */
export const DELIVERY = {
  maximumEventAgeInSeconds: 3600,
  maximumRetryAttempts: 8,
} as const;

/**
 * Delivery of a schedule's run: a run older than the schedule's own rate is superseded by the next run,
 * so retrying it longer only repeats work; what could not be delivered still lands in the DLQ.
 */
export function scheduleDelivery(minutes: number): {
  maximumEventAgeInSeconds: number;
  maximumRetryAttempts: number;
} {
  return {
    maximumEventAgeInSeconds: Math.max(60, minutes * 60),
    maximumRetryAttempts: DELIVERY.maximumRetryAttempts,
  };
}

/** SQS keeps a message at most 14 days: the longest an undelivered event can wait for someone to look. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export type ScheduleKey = "mirrorReconcile" | "instanceRefresh" | "health";

/**
 * What each schedule sends. EventBridge Scheduler passes the target input verbatim, with its context
 * attributes (`<aws.scheduler.scheduled-time>`) substituted.
 * - reconcileHandler treats any event as a scheduled pass (only a direct `{"dryRun": true}` previews).
 * - instance-refresh classifies `source: aws.scheduler` + `Scheduled Event` as its tick.
 * - health classifies only `source: aws.events` + `Scheduled Event` as the summary (its events.ts), the shape
 *   an EventBridge schedule rule sends; Scheduler is told to send that same shape.
 */
export function scheduleInput(key: ScheduleKey): string {
  const source = key === "health" ? "aws.events" : "aws.scheduler";
  return JSON.stringify({
    version: "0",
    id: "<aws.scheduler.execution-id>",
    "detail-type": "Scheduled Event",
    source,
    time: "<aws.scheduler.scheduled-time>",
    resources: ["<aws.scheduler.schedule-arn>"],
    detail: {},
  });
}
