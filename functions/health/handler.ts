// The handler for one event: classify → read (adapters/) → decide (decide.ts) → publish. All AWS access goes
// through the clients in `HealthDeps`, so tests aim them at moto_server (or mock the APIs moto lacks). Bad
// events and failed reads are logged with a metric, never thrown; only a failed SNS publish is thrown, so
// the asynchronous invocation retries the page.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { describeError } from "../shared/errors.js";
import { flushMetrics, type Telemetry } from "../shared/telemetry.js";
import {
  abandonLaunch,
  describeRefresh,
  failedLaunchesSince,
  instanceAvailabilityZone,
  instancesInPendingWait,
  launchHookNames,
} from "./adapters/autoscaling.js";
import { readUserDataLog } from "./adapters/cloudwatch-logs.js";
import { collectFleet } from "./adapters/fleet.js";
import { publishOnCall } from "./adapters/sns.js";
import type { HealthConfig } from "./config.js";
import {
  diagnoseBoot,
  failedBootsToAbandon,
  failureMetric,
  refreshFailures,
  refreshLookbackStart,
  retryInvocation,
  summarizeFleet,
  summaryMetrics,
} from "./decide.js";
import { classifyEvent } from "./events.js";
import { formatFailedLaunchMessage, formatRefreshMessage, type InstanceFinding } from "./messages.js";
import { METRIC } from "./metrics.js";
import type { FailedLaunch, FleetSummary, RefreshProblem } from "./types.js";

export interface HealthDeps extends Telemetry {
  config: HealthConfig;
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
  deps.metrics.addMetric(failureMetric(failure), MetricUnit.Count, 1);
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
  const since = refreshLookbackStart(facts.startedAt, problem, deps.now());
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
 * abandoned (decide.ts says which), so Auto Scaling replaces them now rather than at the heartbeat timeout.
 */
async function abandonFailedBoots(deps: HealthDeps): Promise<string[]> {
  const asg = deps.config.autoScalingGroupName;
  const waiting = await instancesInPendingWait(deps.autoscaling, asg);
  if (waiting.length === 0) return [];
  const hooks = await launchHookNames(deps.autoscaling, asg);
  if (hooks.length === 0) return [];
  const logs = [];
  for (const { instanceId } of waiting) {
    logs.push({ instanceId, log: await readUserDataLog(deps.logs, deps.config.sensorLogGroup, instanceId) });
  }
  const abandoned: string[] = [];
  for (const { instanceId, hook, failingStep } of failedBootsToAbandon(logs, hooks)) {
    try {
      await abandonLaunch(deps.autoscaling, asg, hook, instanceId);
    } catch (error) {
      // The action may already be complete (the boot script abandoned it); nothing to undo.
      deps.logger.warn("could not abandon a failed boot's lifecycle action", {
        instanceId,
        hook,
        error: describeError(error),
      });
      continue;
    }
    abandoned.push(instanceId);
    deps.logger.info("abandoned the launch of a sensor whose boot failed", { instanceId, failingStep });
  }
  if (abandoned.length)
    deps.metrics.addMetric(METRIC.failedBootsAbandoned, MetricUnit.Count, abandoned.length);
  return abandoned;
}

function publishSummaryMetrics(deps: HealthDeps, summary: FleetSummary): void {
  if (!summary.targetHealthKnown) {
    deps.logger.warn("SENSOR_TARGET_GROUP_ARNS is not set: healthy sensors per AZ are not published");
  }
  for (const m of summaryMetrics(summary)) {
    if (m.dimension) {
      // One EMF record per dimension value: a dimension set is per record.
      const single = deps.metrics.singleMetric();
      single.addDimension(...m.dimension);
      single.addMetric(m.name, m.unit, m.value);
    } else deps.metrics.addMetric(m.name, m.unit, m.value);
  }
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

async function handleHealthEvent(deps: HealthDeps, event: unknown): Promise<HealthResult> {
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

/** Runs one event with the given dependencies; metrics are flushed after every invocation. */
export async function runHealth(d: HealthDeps, event: unknown, context?: Context): Promise<HealthResult> {
  if (context) d.logger.addContext(context);
  try {
    return await handleHealthEvent(d, event);
  } catch (error) {
    d.metrics.addMetric(METRIC.handlerErrors, MetricUnit.Count, 1);
    if (retryInvocation(error)) {
      d.logger.error("on-call notification not published; the invocation will be retried", { error });
      throw error;
    }
    d.logger.error("health event not processed", { error });
    return { action: "none", reason: `error: ${describeError(error)}` };
  } finally {
    flushMetrics(d.metrics);
  }
}

/**
 * The Lambda handler over lazily built dependencies. A configuration error is reported (log line and
 * metric through `telemetry`, which does not depend on the configuration), never thrown.
 */
export function createHandler(getDeps: () => HealthDeps, telemetry: Telemetry) {
  return async (event: unknown, context?: Context): Promise<HealthResult> => {
    let deps: HealthDeps;
    try {
      deps = getDeps();
    } catch (error) {
      telemetry.logger.error("health function is misconfigured", { error });
      telemetry.metrics.addMetric(METRIC.handlerErrors, MetricUnit.Count, 1);
      flushMetrics(telemetry.metrics);
      return { action: "none", reason: `configuration error: ${describeError(error)}` };
    }
    return runHealth(deps, event, context);
  };
}
