// Shapes shared by the health Lambda's decision functions, AWS adapters and handler.

/** Causes the health Lambda recognises in a sensor's boot log, each with a fix hint. */
const KNOWN_CAUSES = [
  "invalid-token",
  "collector-unreachable",
  "proxy-refused",
  "parameter-missing",
  "kms-access-denied",
  // Named by `spanless bootstrap` at its own steps (decide/diagnosis.ts, STEP_CAUSE_RULES).
  "config-invalid",
  "user-data-invalid",
  "metadata-unavailable",
  "config-write-failed",
  "instance-too-small",
  "sensor-start-failed",
  "sensor-unhealthy",
  "sensor-not-accepted",
  "lifecycle-complete-failed",
] as const;

export type KnownCause = (typeof KNOWN_CAUSES)[number];

/** Causes seen only in Auto Scaling's own status message (there is no boot log to read). */
export type LaunchStatusCause =
  | "lifecycle-heartbeat-timeout"
  | "lifecycle-abandoned"
  | "ec2-capacity"
  | "ec2-launch-rejected"
  | "failed-health-check"
  | "unknown";

/** Something that went wrong with one sensor instance (or with a launch that never got an instance). */
export interface FailedLaunch {
  kind: "failed-launch";
  /** Which Auto Scaling signal this came from, for the message's "what happened" line. */
  source: "launch-unsuccessful" | "unhealthy-replaced" | "instance-refresh";
  autoScalingGroupName: string;
  /** Empty when EC2 never created an instance (capacity, bad launch template). */
  instanceId?: string;
  availabilityZone?: string;
  subnetId?: string;
  /** Auto Scaling's own explanation (StatusMessage / activity description). */
  statusMessage?: string;
  /** Auto Scaling's "Cause" text (why it launched). */
  activityCause?: string;
  eventTime: string;
  region: string;
  account: string;
}

export type RefreshOutcome = "Failed" | "RollbackStarted" | "RollbackSucceeded" | "RollbackFailed";

export interface RefreshProblem {
  kind: "refresh-problem";
  outcome: RefreshOutcome;
  autoScalingGroupName: string;
  instanceRefreshId: string;
  eventTime: string;
  region: string;
  account: string;
}

export interface ScheduledSummary {
  kind: "scheduled-summary";
  eventTime: string;
  region: string;
  account: string;
}

/** A launch lifecycle hook put an instance into Pending:Wait: not a failure (yet). */
export interface LifecycleWaitStarted {
  kind: "lifecycle-wait-started";
  autoScalingGroupName: string;
  instanceId: string;
  lifecycleHookName: string;
}

export interface IgnoredEvent {
  kind: "ignored";
  /** Why the event needs no action, for the log. */
  reason: string;
}

export interface RejectedEvent {
  kind: "rejected";
  /** What is wrong with the event, precise enough to fix the EventBridge rule that sent it. */
  problem: string;
}

export type HealthTrigger =
  | FailedLaunch
  | RefreshProblem
  | ScheduledSummary
  | LifecycleWaitStarted
  | IgnoredEvent
  | RejectedEvent;

/** What reading `<instance-id>-userdata` produced. */
export type UserDataLog =
  | { status: "found"; logGroup: string; logStream: string; lines: string[] }
  | { status: "missing-stream"; logGroup: string; logStream: string }
  | { status: "missing-group"; logGroup: string; logStream: string }
  | { status: "no-instance"; logGroup: string }
  | { status: "unreadable"; logGroup: string; logStream: string; problem: string };

export interface Diagnosis {
  /** A known cause, a cause from Auto Scaling's status message, or unknown. */
  cause: KnownCause | LaunchStatusCause;
  /** One-line, human title of the cause. */
  title: string;
  /** The boot step that failed (or hung), when the log has markers. */
  failingStep?: string;
  /** The failing marker's reason, or the log line that gave the cause away. */
  evidence?: string;
  /** What the on-call engineer should do. */
  fixHint: string;
  /** Boot step summary line, e.g. `fetch-config ok · validate-config ok · kms-decrypt FAIL`. */
  stepSummary?: string;
  /** Problems with the markers themselves (malformed lines), for the message's footnote. */
  markerProblems: string[];
}

export interface OnCallMessage {
  /** SNS subject: ASCII, at most 100 characters. */
  subject: string;
  body: string;
  /**
   * SNS message attributes, so subscriptions can filter (e.g. page only for `kind=launch-failure`,
   * send summaries of `cause=ec2-capacity` to chat). Values are short identifiers, never log text.
   */
  attributes: Record<string, string>;
}

/** DescribeInstanceRefreshes' view of one refresh, for the refresh message. */
export interface RefreshFacts {
  /** DescribeInstanceRefreshes Status and StatusReason, when the refresh could be described. */
  status?: string;
  statusReason?: string;
  percentageComplete?: number;
  startTime?: string;
  desiredLaunchTemplate?: string;
  rollbackReason?: string;
  /** Why the refresh could not be described, if it could not. */
  describeProblem?: string;
}

/** A launch scaling activity of the sensor group. */
export interface LaunchActivity {
  instanceId?: string;
  availabilityZone?: string;
  subnetId?: string;
  statusCode: string;
  statusMessage?: string;
  startTime: Date;
}

export interface GroupInstance {
  instanceId: string;
  availabilityZone?: string;
  lifecycleState?: string;
  launchTemplateVersion?: string;
}

export interface FleetReads {
  groupAvailabilityZones: string[];
  instances: GroupInstance[];
  /** The group's launch template and version ("$Latest"/"$Default" or a number). */
  launchTemplate?: { id?: string; name?: string; version: string };
  /**
   * The pinned parameter references (`name:version` or `none`) in that launch template version's user
   * data, i.e. the configuration new sensors launch with; or why they could not be read.
   */
  configPins?: Record<string, string>;
  configPinsProblem?: string;
  /** Undefined when no target group is configured: then healthy counts are unknown, not zero. */
  targets?: Array<{ targetGroupArn: string; instanceId: string; state: string; availabilityZone?: string }>;
  launchFailures: number;
  /** Latest average of the mirror coverage metric in the period; undefined when it has no data. */
  mirrorCoverage?: number;
}

export interface FleetSummary {
  /** False when no target group is configured; the healthy counts below are then empty. */
  targetHealthKnown: boolean;
  healthyByAz: Record<string, number>;
  /** Group AZs with no healthy sensor: with cross-zone off, their mirrored traffic is not delivered. */
  azsWithoutHealthySensor: string[];
  healthyTotal: number;
  launchFailures: number;
  mirrorCoverage?: number;
  configVersionInService?: string;
  /** Parameter references the in-service launch template version pins (see FleetReads.configPins). */
  configPins?: Record<string, string>;
  configPinsProblem?: string;
  /** Instances per launch template version among InService instances (more than one key = mixed). */
  instancesByConfigVersion: Record<string, number>;
}
