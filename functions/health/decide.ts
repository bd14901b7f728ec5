// The health Lambda's decisions, pure: no AWS calls, no clock (callers pass `now`). The handler gathers
// facts through adapters/, asks these functions what they mean and what to do, and does it. The boot-log
// diagnosis is big enough for its own module (decide/diagnosis.ts) and is re-exported here.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { bootProgress, parseBootLog } from "../../contracts/boot/markers.js";
import { NotificationPublishError } from "./errors.js";
import { METRIC } from "./metrics.js";
import type {
  FailedLaunch,
  FleetReads,
  FleetSummary,
  LaunchActivity,
  RefreshProblem,
  UserDataLog,
} from "./types.js";

export { classifyStatusMessage, diagnoseBoot } from "./decide/diagnosis.js";

/** Target health state that counts as a working sensor. */
const HEALTHY = "healthy";
const UNKNOWN_AZ = "unknown";
const UNKNOWN_VERSION = "unknown";

/** Failed instances diagnosed in a refresh message: enough to see a pattern, short enough to read. */
export const MAX_REFRESH_INSTANCES_DIAGNOSED = 3;
/** When a refresh event arrives without a describable start time, look back this far for failed launches. */
export const REFRESH_LOOKBACK_MS = 2 * 60 * 60 * 1000;

/** The metric a paged sensor failure is counted in. */
export function failureMetric(failure: Pick<FailedLaunch, "source">): string {
  return failure.source === "unhealthy-replaced" ? METRIC.unhealthyReplaced : METRIC.launchFailures;
}

/**
 * Only a failed page is worth an async retry (and, after the retries, the DLQ): losing a page silently is
 * worse than a duplicate. Every other failure is logged and counted, never thrown.
 */
export function retryInvocation(error: unknown): boolean {
  return error instanceof NotificationPublishError;
}

/** Where to start looking for a refresh's failed launches: its start, else a fixed look-back from the event. */
export function refreshLookbackStart(
  startedAt: Date | undefined,
  problem: Pick<RefreshProblem, "eventTime">,
  now: Date,
): Date {
  if (startedAt) return startedAt;
  const eventMs = Date.parse(problem.eventTime);
  return new Date((Number.isNaN(eventMs) ? now.getTime() : eventMs) - REFRESH_LOOKBACK_MS);
}

/** Failed launches during a refresh, as FailedLaunch records ready to diagnose (newest first, bounded). */
export function refreshFailures(
  launches: readonly LaunchActivity[],
  base: Pick<FailedLaunch, "autoScalingGroupName" | "eventTime" | "region" | "account">,
): FailedLaunch[] {
  return launches.slice(0, MAX_REFRESH_INSTANCES_DIAGNOSED).map((l) => ({
    kind: "failed-launch",
    source: "instance-refresh",
    ...base,
    ...(l.instanceId ? { instanceId: l.instanceId } : {}),
    ...(l.availabilityZone ? { availabilityZone: l.availabilityZone } : {}),
    ...(l.subnetId ? { subnetId: l.subnetId } : {}),
    ...(l.statusMessage ? { statusMessage: l.statusMessage } : {}),
  }));
}

/** A launch lifecycle wait to end with ABANDON: the boot already failed, waiting only delays the replacement. */
export interface AbandonDecision {
  instanceId: string;
  hook: string;
  failingStep: string;
}

/**
 * Which Pending:Wait instances to abandon, on which launch hooks: those whose boot log's last marker is a
 * `fail` (that boot is over). A boot still starting, retrying or without a log may yet finish.
 */
export function failedBootsToAbandon(
  waiting: ReadonlyArray<{ instanceId: string; log: UserDataLog }>,
  hooks: readonly string[],
): AbandonDecision[] {
  const decisions: AbandonDecision[] = [];
  for (const { instanceId, log } of waiting) {
    if (log.status !== "found") continue;
    const progress = bootProgress(parseBootLog(log.lines));
    if (!progress.failed || progress.lastMarker?.line !== progress.failed.line) continue;
    for (const hook of hooks) decisions.push({ instanceId, hook, failingStep: progress.failed.step });
  }
  return decisions;
}

export function summarizeFleet(reads: FleetReads): FleetSummary {
  const azOf = new Map(reads.instances.map((i) => [i.instanceId, i.availabilityZone]));
  const targetHealthKnown = reads.targets !== undefined;
  const healthyByAz: Record<string, number> = targetHealthKnown
    ? Object.fromEntries(reads.groupAvailabilityZones.map((az) => [az, 0]))
    : {};
  // A sensor registered in two target groups (e.g. UDP 4789 and a GENEVE group) is still one sensor;
  // it counts as healthy only if it is healthy in every group it is registered in.
  const health = new Map<string, { az: string; healthy: boolean }>();
  for (const t of reads.targets ?? []) {
    const az = azOf.get(t.instanceId) ?? t.availabilityZone ?? UNKNOWN_AZ;
    const seen = health.get(t.instanceId);
    health.set(t.instanceId, { az, healthy: (seen?.healthy ?? true) && t.state === HEALTHY });
  }
  for (const { az, healthy } of health.values()) {
    if (healthy) healthyByAz[az] = (healthyByAz[az] ?? 0) + 1;
  }
  const instancesByConfigVersion: Record<string, number> = {};
  for (const i of reads.instances) {
    if (i.lifecycleState !== "InService") continue;
    const version = i.launchTemplateVersion ?? UNKNOWN_VERSION;
    instancesByConfigVersion[version] = (instancesByConfigVersion[version] ?? 0) + 1;
  }
  return {
    targetHealthKnown,
    healthyByAz,
    azsWithoutHealthySensor: targetHealthKnown
      ? reads.groupAvailabilityZones.filter((az) => (healthyByAz[az] ?? 0) === 0)
      : [],
    healthyTotal: Object.values(healthyByAz).reduce((a, b) => a + b, 0),
    launchFailures: reads.launchFailures,
    ...(reads.mirrorCoverage !== undefined ? { mirrorCoverage: reads.mirrorCoverage } : {}),
    ...(reads.launchTemplate ? { configVersionInService: reads.launchTemplate.version } : {}),
    ...(reads.configPins ? { configPins: reads.configPins } : {}),
    ...(reads.configPinsProblem ? { configPinsProblem: reads.configPinsProblem } : {}),
    instancesByConfigVersion,
  };
}

export interface SummaryMetric {
  name: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
  /** A dimension of its own (one EMF record per value), e.g. the AZ of HealthySensors. */
  dimension?: [string, string];
}

/**
 * The summary's metrics. Without a configured target group the healthy counts are unknown: publishing zeros
 * would fire the "AZ without a healthy sensor" alarm for a configuration gap, so they are left out.
 */
export function summaryMetrics(summary: FleetSummary): SummaryMetric[] {
  const out: SummaryMetric[] = [];
  if (summary.targetHealthKnown) {
    for (const [az, healthy] of Object.entries(summary.healthyByAz)) {
      out.push({
        name: METRIC.healthySensors,
        unit: MetricUnit.Count,
        value: healthy,
        dimension: ["AvailabilityZone", az],
      });
    }
    out.push({
      name: METRIC.azsWithoutHealthySensor,
      unit: MetricUnit.Count,
      value: summary.azsWithoutHealthySensor.length,
    });
  }
  out.push({ name: METRIC.launchFailuresInPeriod, unit: MetricUnit.Count, value: summary.launchFailures });
  out.push({
    name: METRIC.configVersionsRunning,
    unit: MetricUnit.Count,
    value: Object.keys(summary.instancesByConfigVersion).length,
  });
  const version = Number(summary.configVersionInService);
  if (Number.isInteger(version)) {
    out.push({ name: METRIC.configVersionInService, unit: MetricUnit.NoUnit, value: version });
  }
  return out;
}
