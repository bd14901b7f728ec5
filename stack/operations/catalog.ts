// The metrics the operations half of the stack alarms on and graphs: namespaces, names and the dimensions
// each is published with. They are copied here rather than imported because the functions' metrics.ts
// modules pull in Powertools and the sensor's emf.ts pulls in the daemon, neither of which belongs in the
// stack's program. test/stack/operations/catalog.test.ts proves every name below against those sources
// (functions/*/metrics.ts METRIC, functions/shared/telemetry.ts, sensor-ami/src/daemon/metrics/emf.ts), so a
// rename there fails a test instead of silently breaking an alarm.

/** Namespace of every function metric (functions/shared/telemetry.ts METRICS_NAMESPACE). */
export const FUNCTION_NAMESPACE = "Spanless";
/** Namespace of the sensors' EMF metrics (sensor-ami/src/daemon/metrics/METRICS.md). */
export const SENSOR_NAMESPACE = "Spanless/Sensor";

/** The Powertools `service` dimension each function adds to every metric (`spanless-<function>`). */
export const SERVICE = {
  mirror: "spanless-mirror-on-launch",
  refresh: "spanless-instance-refresh",
  health: "spanless-health",
} as const;

/** mirror-on-launch (functions/mirror-on-launch/metrics.ts), dimensions `service` (+ the extra one noted). */
export const MIRROR_METRIC = {
  coverage: "MirrorCoveragePercent",
  quotaHeadroom: "SessionQuotaHeadroom",
  eligibleEnis: "EligibleEnis",
  mirroredEnis: "MirroredEnis",
  sessionsCreated: "SessionsCreated",
  sessionsDeleted: "SessionsDeleted",
  /** + `ErrorCode`. */
  actionFailures: "ActionFailures",
  /** + `ErrorCode`. */
  invocationErrors: "InvocationErrors",
  /** NLBs behind the mirror targets without a UDP 4789 listener (reconciler; 0 when all have it). */
  listenerMissing: "MirrorListenerMissing",
} as const;

/** instance-refresh (functions/instance-refresh/metrics.ts), dimension `service` only. */
export const REFRESH_METRIC = {
  configInvalid: "ConfigInvalid",
  rolloutBlocked: "RolloutBlocked",
  rolloutError: "RolloutError",
  refreshStarted: "RefreshStarted",
  refreshSucceeded: "RefreshSucceeded",
  refreshFailed: "RefreshFailed",
  refreshCancelled: "RefreshCancelled",
  refreshRollbackStarted: "RefreshRollbackStarted",
  refreshRolledBack: "RefreshRolledBack",
  refreshRollbackFailed: "RefreshRollbackFailed",
  /** The tick found the pins in service differ from the current parameter versions (after a deploy) and rolls. */
  pinDriftDetected: "PinDriftDetected",
} as const;

/** health (functions/health/metrics.ts). */
export const HEALTH_METRIC = {
  /** `service` + `AutoScalingGroupName`. */
  launchFailures: "LaunchFailures",
  /** `service` + `AutoScalingGroupName`. */
  unhealthyReplaced: "UnhealthySensorsReplaced",
  /** `service` + `AutoScalingGroupName`. */
  refreshProblems: "InstanceRefreshProblems",
  /** `service` + `AvailabilityZone` (the schedule's summary). */
  healthySensors: "HealthySensors",
  /** `service` (summary). */
  azsWithoutHealthySensor: "AvailabilityZonesWithoutHealthySensor",
  /** `service` (summary, from DescribeScalingActivities: independent of EventBridge delivery). */
  launchFailuresInPeriod: "LaunchFailuresInPeriod",
  /** `service` (summary). */
  configVersionsRunning: "ConfigVersionsRunning",
  /** `service` (summary). */
  configVersionInService: "ConfigVersionInService",
  /** `service`. */
  handlerErrors: "HealthHandlerErrors",
} as const;

/**
 * The sensor document (sensor-ami/src/daemon/metrics/emf.ts SENSOR_METRICS), each published under the
 * dimension sets {InstanceId, AvailabilityZone}, {AvailabilityZone} and {}.
 */
export const SENSOR_METRIC = {
  packets: "Packets",
  bytes: "Bytes",
  kernelDrops: "KernelDrops",
  queueDrops: "QueueDrops",
  workersDead: "WorkersDead",
  uploadedBatches: "UploadedBatches",
  uploadedBytes: "UploadedBytes",
  spoolDroppedBatches: "SpoolDroppedBatches",
  uploadRejectedBatches: "UploadRejectedBatches",
  spoolBacklogBytes: "SpoolBacklogBytes",
  memoryBudgetPercent: "MemoryBudgetPercent",
} as const;

/** The sensor dimension sets, most specific first (emf.ts SENSOR_DIMENSIONS). */
export const SENSOR_DIMENSION_SETS = [["InstanceId", "AvailabilityZone"], ["AvailabilityZone"], []] as const;

/** AWS service metrics used (CloudWatch documentation for NLB, Lambda and SQS). */
export const AWS_METRIC = {
  nlb: { namespace: "AWS/NetworkELB", healthy: "HealthyHostCount", unhealthy: "UnHealthyHostCount" },
  lambda: { namespace: "AWS/Lambda", errors: "Errors", throttles: "Throttles", invocations: "Invocations" },
  sqs: { namespace: "AWS/SQS", visible: "ApproximateNumberOfMessagesVisible" },
} as const;
