// Orchestration for one event: classify → read → decide → publish. All AWS access goes through the
// clients in `HealthDeps`, so tests aim them at moto_server (or mock the APIs moto lacks).
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { SNSClient } from "@aws-sdk/client-sns";
import { bootProgress, parseBootLog } from "../../contracts/boot/markers.js";
import {
  abandonLaunch,
  describeRefresh,
  failedLaunchesSince,
  instanceAvailabilityZone,
  instancesInPendingWait,
  launchHookNames,
  refreshFailures,
} from "./asg.js";
import type { HealthConfig } from "./config.js";
import { diagnoseBoot } from "./diagnosis.js";
import { describeError } from "./errors.js";
import { classifyEvent } from "./events.js";
import { collectFleet, type FleetSummary, summarizeFleet } from "./fleet.js";
import { readUserDataLog } from "./log-reader.js";
import { formatFailedLaunchMessage, formatRefreshMessage, type InstanceFinding } from "./message.js";
import { publishOnCall } from "./notify.js";
import type { FailedLaunch, RefreshProblem } from "./types.js";

/** Metric names (namespace from POWERTOOLS_METRICS_NAMESPACE). */
export const METRIC = {
  launchFailures: "LaunchFailures",
  unhealthyReplaced: "UnhealthySensorsReplaced",
  refreshProblems: "InstanceRefreshProblems",
  eventsRejected: "HealthEventsRejected",
  handlerErrors: "HealthHandlerErrors",
  logStreamMissing: "BootLogMissing",
  healthySensors: "HealthySensors",
  azsWithoutHealthySensor: "AvailabilityZonesWithoutHealthySensor",
  launchFailuresInPeriod: "LaunchFailuresInPeriod",
  configVersionInService: "ConfigVersionInService",
  configVersionsRunning: "ConfigVersionsRunning",
  failedBootsAbandoned: "FailedBootsAbandoned",
} as const;

/** When a refresh event arrives without a describable start time, look back this far for failed launches. */
export const REFRESH_LOOKBACK_MS = 2 * 60 * 60 * 1000;

export interface HealthDeps {
  config: HealthConfig;
  logger: Logger;
  metrics: Metrics;
  logs: CloudWatchLogsClient;
  autoscaling: AutoScalingClient;
  ec2: EC2Client;
  sns: SNSClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  now: () => Date;
}

export type HealthResult =
  | { action: "notified"; messageId: string; subject: string; cause: string }
  | { action: "summarized"; summary: FleetSummary; abandoned: string[] }
  | { action: "none"; reason: string }
  | { action: "rejected"; problem: string };

async function diagnoseInstance(deps: HealthDeps, failure: FailedLaunch): Promise<InstanceFinding> {
  let located = failure;
  if (!failure.availabilityZone && failure.instanceId) {
    try {
      const az = await instanceAvailabilityZone(deps.autoscaling, failure.instanceId);
      if (az) located = { ...failure, availabilityZone: az };
    } catch (error) {
      // The AZ is a nicety; the message goes out without it.
      deps.logger.warn("could not look up the instance's Availability Zone", { error: describeError(error) });
    }
  }
  const log = await readUserDataLog(deps.logs, deps.config.sensorLogGroup, located.instanceId);
  if (log.status === "missing-stream" || log.status === "missing-group") {
    deps.metrics.addMetric(METRIC.logStreamMissing, MetricUnit.Count, 1);
  }
  const diagnosis = diagnoseBoot(log.status === "found" ? log.lines : undefined, located.statusMessage);
  return { failure: located, log, diagnosis };
}

async function onFailedLaunch(deps: HealthDeps, failure: FailedLaunch): Promise<HealthResult> {
  // Set first: every metric of this invocation (BootLogMissing too) carries the group.
  deps.metrics.addDimension("AutoScalingGroupName", failure.autoScalingGroupName);
  const finding = await diagnoseInstance(deps, failure);
  const message = formatFailedLaunchMessage(
    finding.failure,
    finding.log,
    finding.diagnosis,
    deps.config.logLinesInMessage,
  );
  const messageId = await publishOnCall(deps.sns, deps.config.alertTopicArn, message);
  // Counted after the page went out, so a retried invocation does not count the failure twice.
  const metric = failure.source === "unhealthy-replaced" ? METRIC.unhealthyReplaced : METRIC.launchFailures;
  deps.metrics.addMetric(metric, MetricUnit.Count, 1);
  deps.metrics.addMetadata("cause", finding.diagnosis.cause);
  deps.logger.info("sensor failure reported", {
    source: failure.source,
    instanceId: failure.instanceId,
    availabilityZone: finding.failure.availabilityZone,
    cause: finding.diagnosis.cause,
    failingStep: finding.diagnosis.failingStep,
    logStatus: finding.log.status,
    messageId,
  });
  return { action: "notified", messageId, subject: message.subject, cause: finding.diagnosis.cause };
}

async function onRefreshProblem(deps: HealthDeps, problem: RefreshProblem): Promise<HealthResult> {
  deps.metrics.addDimension("AutoScalingGroupName", problem.autoScalingGroupName);
  const facts = await describeRefresh(
    deps.autoscaling,
    problem.autoScalingGroupName,
    problem.instanceRefreshId,
  );
  const eventMs = Date.parse(problem.eventTime);
  const since =
    facts.startedAt ??
    new Date((Number.isNaN(eventMs) ? deps.now().getTime() : eventMs) - REFRESH_LOOKBACK_MS);
  let findings: InstanceFinding[] = [];
  try {
    const launches = await failedLaunchesSince(deps.autoscaling, problem.autoScalingGroupName, since);
    const failures = refreshFailures(launches, problem);
    findings = await Promise.all(failures.map((f) => diagnoseInstance(deps, f)));
  } catch (error) {
    deps.logger.warn("could not list the refresh's failed launches", { error: describeError(error) });
  }
  const message = formatRefreshMessage(problem, facts, findings, deps.config.logLinesInMessage);
  const messageId = await publishOnCall(deps.sns, deps.config.alertTopicArn, message);
  deps.metrics.addMetric(METRIC.refreshProblems, MetricUnit.Count, 1);
  const cause = findings[0]?.diagnosis.cause ?? "unknown";
  deps.logger.info("instance refresh problem reported", {
    outcome: problem.outcome,
    instanceRefreshId: problem.instanceRefreshId,
    failedInstances: findings.length,
    cause,
    messageId,
  });
  return { action: "notified", messageId, subject: message.subject, cause };
}

/**
 * Instances whose boot already reported `fail` but whose launch lifecycle action is still waiting get
 * abandoned, so Auto Scaling replaces them now rather than at the heartbeat timeout.
 */
async function abandonFailedBoots(deps: HealthDeps): Promise<string[]> {
  const asg = deps.config.autoScalingGroupName;
  const waiting = await instancesInPendingWait(deps.autoscaling, asg);
  if (waiting.length === 0) return [];
  const hooks = await launchHookNames(deps.autoscaling, asg);
  if (hooks.length === 0) return [];
  const abandoned: string[] = [];
  for (const instance of waiting) {
    const log = await readUserDataLog(deps.logs, deps.config.sensorLogGroup, instance.instanceId);
    if (log.status !== "found") continue;
    const progress = bootProgress(parseBootLog(log.lines));
    // Only a boot whose last word is `fail` is over; anything else may still finish.
    if (!progress.failed || progress.lastMarker?.line !== progress.failed.line) continue;
    for (const hook of hooks) {
      try {
        await abandonLaunch(deps.autoscaling, asg, hook, instance.instanceId);
      } catch (error) {
        // The action may already be complete (the boot script abandoned it); nothing to undo.
        deps.logger.warn("could not abandon a failed boot's lifecycle action", {
          instanceId: instance.instanceId,
          hook,
          error: describeError(error),
        });
        continue;
      }
      abandoned.push(instance.instanceId);
      deps.logger.info("abandoned the launch of a sensor whose boot failed", {
        instanceId: instance.instanceId,
        failingStep: progress.failed.step,
      });
    }
  }
  if (abandoned.length)
    deps.metrics.addMetric(METRIC.failedBootsAbandoned, MetricUnit.Count, abandoned.length);
  return abandoned;
}

function publishSummaryMetrics(deps: HealthDeps, summary: FleetSummary): void {
  // Without a configured target group the counts are unknown; publishing zeros would fire the
  // "AZ without a healthy sensor" alarm for a configuration gap.
  if (summary.targetHealthKnown) {
    for (const [az, healthy] of Object.entries(summary.healthyByAz)) {
      // One EMF record per AZ: a dimension set is per record.
      const perAz = deps.metrics.singleMetric();
      perAz.addDimension("AvailabilityZone", az);
      perAz.addMetric(METRIC.healthySensors, MetricUnit.Count, healthy);
    }
    deps.metrics.addMetric(
      METRIC.azsWithoutHealthySensor,
      MetricUnit.Count,
      summary.azsWithoutHealthySensor.length,
    );
  } else {
    deps.logger.warn("SENSOR_TARGET_GROUP_ARNS is not set: healthy sensors per AZ are not published");
  }
  deps.metrics.addMetric(METRIC.launchFailuresInPeriod, MetricUnit.Count, summary.launchFailures);
  deps.metrics.addMetric(
    METRIC.configVersionsRunning,
    MetricUnit.Count,
    Object.keys(summary.instancesByConfigVersion).length,
  );
  const version = Number(summary.configVersionInService);
  if (Number.isInteger(version))
    deps.metrics.addMetric(METRIC.configVersionInService, MetricUnit.NoUnit, version);
}

async function onSchedule(deps: HealthDeps): Promise<HealthResult> {
  let abandoned: string[] = [];
  if (deps.config.abandonFailedBoots) {
    try {
      abandoned = await abandonFailedBoots(deps);
    } catch (error) {
      deps.logger.warn("failed-boot sweep skipped", { error: describeError(error) });
    }
  }
  const reads = await collectFleet(deps, deps.config, deps.now());
  const summary = summarizeFleet(reads);
  publishSummaryMetrics(deps, summary);
  deps.logger.info("fleet summary", { summary, abandoned });
  return { action: "summarized", summary, abandoned };
}

export async function handleHealthEvent(deps: HealthDeps, event: unknown): Promise<HealthResult> {
  const trigger = classifyEvent(event, deps.config.autoScalingGroupName);
  switch (trigger.kind) {
    case "rejected":
      deps.logger.warn("health event rejected", { problem: trigger.problem });
      deps.metrics.addMetric(METRIC.eventsRejected, MetricUnit.Count, 1);
      return { action: "rejected", problem: trigger.problem };
    case "ignored":
      deps.logger.info("health event ignored", { reason: trigger.reason });
      return { action: "none", reason: trigger.reason };
    case "lifecycle-wait-started":
      // The boot has not run yet; a timeout or abandon arrives later as EC2 Instance Launch Unsuccessful,
      // and the scheduled sweep abandons waits whose boot already failed.
      deps.logger.info("launch lifecycle wait started", {
        instanceId: trigger.instanceId,
        hook: trigger.lifecycleHookName,
      });
      return {
        action: "none",
        reason: `instance ${trigger.instanceId} entered Pending:Wait; nothing failed yet`,
      };
    case "failed-launch":
      return onFailedLaunch(deps, trigger);
    case "refresh-problem":
      return onRefreshProblem(deps, trigger);
    case "scheduled-summary":
      return onSchedule(deps);
  }
}
