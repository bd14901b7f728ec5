// The handlers over the decision core. `handler` takes EventBridge events (instance state changes, and
// optionally CloudTrail AttachNetworkInterface / CreateTags / DeleteTags / DeleteTrafficMirrorSession);
// `reconcileHandler` runs the whole-region pass on a schedule or on demand (backfill). Both run the same
// pass, gather inventory -> decide (plan) -> execute -> report; only the inventory differs. Neither ever
// throws (a thrown error would make EventBridge retry the same event for up to 24 hours), so every failure
// becomes a log line and a metric.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import type { Env } from "../shared/env.js";
import { awsErrorCode } from "../shared/errors.js";
import { flushMetrics, type Telemetry } from "../shared/telemetry.js";
import { gatherFullInventory, gatherInstanceInventory } from "./adapters/ec2-inventory.js";
import { type ActionOutcome, executeActions } from "./adapters/ec2-sessions.js";
import { lookUpListeners } from "./adapters/elbv2-listeners.js";
import { buildVniMap, publishVniMap, sessionsAfter } from "./adapters/s3-vni-map.js";
import { parsePolicy, parseRuntimeConfig, type RuntimeConfig } from "./config.js";
import { judgeListeners, type ListenerVerdict, nlbsToCheck, policyTargetIds } from "./decide/listener.js";
import { plan } from "./decide.js";
import { InvalidEventError, InventoryError, PolicyConfigError, VniMapPublishError } from "./errors.js";
import { classifyEvent, type Trigger } from "./events.js";
import {
  countInvocationError,
  logOutcomes,
  logPlanned,
  logSkips,
  METRIC,
  reportListenerChecks,
} from "./metrics.js";
import type { Inventory, Policy } from "./types.js";

/** One wait before concluding that an instance named in an event does not exist. */
const NOT_FOUND_RETRY_DELAY_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PassDeps extends Telemetry {
  ec2: EC2Client;
  s3?: S3Client;
  /** With it, a whole-region pass also checks the mirror NLB's UDP 4789 listener (the reconciler only). */
  elbv2?: ElasticLoadBalancingV2Client;
  policy: Policy;
  runtime: RuntimeConfig;
  now?: () => Date;
  remainingTimeMs?: () => number;
  notFoundRetryDelayMs?: number;
}

export type Scope = { kind: "instance"; instanceId: string } | { kind: "all" };

export interface RunSummary {
  scope: Scope;
  dryRun: boolean;
  instanceFound: boolean;
  planned: { create: number; modify: number; delete: number };
  done: number;
  failed: number;
  deferred: number;
  skipped: number;
  eligibleEnis: number;
  /** Eligible ENIs with a correct owned session after this pass. */
  mirroredEnis: number;
  quotaHeadroom?: number;
  vniMapPublished?: boolean;
  /** The mirror listener check (reconciler): one verdict per NLB looked at. */
  listeners?: ListenerVerdict[];
  failureCodes: string[];
}

function coveredAfter(planMirrored: number, outcomes: readonly ActionOutcome[]): number {
  const fixed = new Set(
    outcomes
      .filter((o) => o.status === "done" && (o.action.kind === "create" || o.action.kind === "modify"))
      .map((o) => o.action.eniId),
  );
  return planMirrored + fixed.size;
}

export async function runPass(deps: PassDeps, scope: Scope): Promise<RunSummary> {
  const { policy, runtime, logger, metrics } = deps;
  let inventory: Inventory =
    scope.kind === "all"
      ? await gatherFullInventory(deps.ec2, policy.filterId)
      : await gatherInstanceInventory(deps.ec2, scope.instanceId, policy.filterId);
  if (scope.kind === "instance" && inventory.instances.length === 0) {
    // EC2's API is eventually consistent: right after launch DescribeInstances may not know the instance yet.
    await sleep(deps.notFoundRetryDelayMs ?? NOT_FOUND_RETRY_DELAY_MS);
    inventory = await gatherInstanceInventory(deps.ec2, scope.instanceId, policy.filterId);
  }

  const instanceFound = scope.kind === "all" || inventory.instances.length > 0;
  if (!instanceFound) {
    logger.warn("instance not found; nothing to mirror", {
      decision: "skip",
      instanceId: scope.kind === "instance" ? scope.instanceId : undefined,
      reason: "instance-not-found",
    });
    metrics.addMetric(METRIC.instanceNotFound, MetricUnit.Count, 1);
  }

  const result = plan(inventory, policy);
  logSkips(deps, result.skips);
  for (const c of result.vniCollisions) {
    logger.warn("VNI collision between VPCs; pin one with VNI_OVERRIDES", { vni: c.vni, vpcIds: c.vpcIds });
  }

  let outcomes: ActionOutcome[] = [];
  if (runtime.dryRun) logPlanned(deps, result.actions);
  else {
    outcomes = await executeActions(deps.ec2, result.actions, {
      ownerTagValue: policy.ownerTagValue,
      concurrency: runtime.concurrency,
      instanceTypes: new Map(inventory.instances.map((i) => [i.instanceId, i.instanceType])),
      remainingTimeMs: deps.remainingTimeMs,
    });
    logOutcomes(deps, outcomes);
  }

  const mirroredEnis = coveredAfter(result.mirroredEnis, outcomes);
  const failed = outcomes.filter((o) => o.status === "failed");
  const summary: RunSummary = {
    scope,
    dryRun: runtime.dryRun,
    instanceFound,
    planned: {
      create: result.actions.filter((a) => a.kind === "create").length,
      modify: result.actions.filter((a) => a.kind === "modify").length,
      delete: result.actions.filter((a) => a.kind === "delete").length,
    },
    done: outcomes.filter((o) => o.status === "done").length,
    failed: failed.length,
    deferred: outcomes.filter((o) => o.status === "deferred").length,
    skipped: result.skips.length,
    eligibleEnis: result.eligibleEnis,
    mirroredEnis,
    failureCodes: [...new Set(failed.map((o) => o.error?.code ?? "Unknown"))].sort(),
  };

  if (scope.kind === "all") {
    // Coverage and quota only mean something over the whole inventory.
    const createdNow = outcomes.filter((o) => o.status === "done" && o.action.kind === "create").length;
    const failedCreates = result.actions.filter((a) => a.kind === "create").length - createdNow;
    summary.quotaHeadroom =
      result.quotaHeadroom === undefined ? undefined : result.quotaHeadroom + failedCreates;
    metrics.addMetric(METRIC.eligibleEnis, MetricUnit.Count, result.eligibleEnis);
    metrics.addMetric(METRIC.mirroredEnis, MetricUnit.Count, mirroredEnis);
    const coverage = result.eligibleEnis === 0 ? 100 : (100 * mirroredEnis) / result.eligibleEnis;
    metrics.addMetric(METRIC.coverage, MetricUnit.Percent, Math.round(coverage * 100) / 100);
    if (summary.quotaHeadroom !== undefined) {
      metrics.addMetric(METRIC.quotaHeadroom, MetricUnit.Count, summary.quotaHeadroom);
    }
    metrics.addMetric(METRIC.vniCollisions, MetricUnit.Count, result.vniCollisions.length);
    if (deps.s3 && runtime.vniMapBucket && !runtime.dryRun) {
      const now = deps.now?.() ?? new Date();
      const map = buildVniMap(
        inventory,
        sessionsAfter(inventory, outcomes, policy),
        policy.ownerTagValue,
        now,
      );
      try {
        await publishVniMap(deps.s3, runtime.vniMapBucket, runtime.vniMapKey, map);
        metrics.addMetric(METRIC.vniMapPublished, MetricUnit.Count, 1);
        summary.vniMapPublished = true;
      } catch (error) {
        // The sessions are in place; only the sensors' enrichment is stale until the next reconcile.
        logger.error("VNI map not published", { error: error as Error });
        countInvocationError(deps, error instanceof VniMapPublishError ? error.name : "Unknown");
        summary.vniMapPublished = false;
      }
    }
    if (deps.elbv2) summary.listeners = await checkMirrorListeners(deps, deps.elbv2, inventory);
    logger.info("reconcile finished", { ...summary, coveragePercent: coverage });
  }
  return summary;
}

/**
 * The mirror listener check: every NLB the mirror targets deliver to must have a UDP 4789 listener, or AWS
 * drops the mirrored traffic without a sign. The sessions are reconciled either way (they are right; the
 * listener is what is wrong), and a failed describe is reported, never thrown.
 */
async function checkMirrorListeners(
  deps: PassDeps,
  elbv2: ElasticLoadBalancingV2Client,
  inventory: Inventory,
): Promise<ListenerVerdict[]> {
  const nlbs = nlbsToCheck(deps.policy.target, inventory.targets, deps.runtime.sensorNlbArn);
  if (nlbs.length === 0) {
    deps.logger.info("mirror listener not checked: no mirror target is a Network Load Balancer", {
      targetIds: policyTargetIds(deps.policy.target),
    });
    return [];
  }
  const verdicts = await Promise.all(
    nlbs.map(async (nlbArn) => judgeListeners(nlbArn, await lookUpListeners(elbv2, nlbArn))),
  );
  reportListenerChecks(deps, verdicts);
  return verdicts;
}

export interface HandlerResult {
  status: "ok" | "ignored" | "failed";
  detail: string;
  runs: RunSummary[];
}

export interface HandlerDeps extends Telemetry {
  ec2: EC2Client;
  s3: S3Client;
  /** The reconciler's listener check; without it the check is skipped. The event handler never uses it. */
  elbv2?: ElasticLoadBalancingV2Client;
  /** Read on the first invocation, so a bad configuration is reported by the handler, not thrown at import. */
  env: Env;
  now?: () => Date;
  notFoundRetryDelayMs?: number;
}

/** A direct invoke may ask for `{"dryRun": true}` (a backfill preview); a scheduled event never does. */
const dryRunRequested = (event: unknown): boolean | undefined => {
  if (event && typeof event === "object" && "dryRun" in event) {
    const v = (event as { dryRun: unknown }).dryRun;
    if (typeof v === "boolean") return v;
  }
  return undefined;
};

export function createHandlers(deps: HandlerDeps) {
  const { logger, metrics } = deps;
  let config: { policy: Policy; runtime: RuntimeConfig } | undefined;

  const fail = (error: unknown, runs: RunSummary[] = []): HandlerResult => {
    const code =
      error instanceof InventoryError
        ? error.errorCode
        : error instanceof PolicyConfigError || error instanceof VniMapPublishError
          ? error.name
          : awsErrorCode(error);
    logger.error("mirror invocation failed", { errorCode: code, error: error as Error });
    countInvocationError(deps, code);
    return { status: "failed", detail: `${code}: ${(error as Error)?.message ?? String(error)}`, runs };
  };

  const passDeps = (
    context: Context | undefined,
    dryRunOverride?: boolean,
    checkListener = false,
  ): PassDeps => {
    config ??= { policy: parsePolicy(deps.env), runtime: parseRuntimeConfig(deps.env) };
    return {
      ec2: deps.ec2,
      s3: deps.s3,
      elbv2: checkListener ? deps.elbv2 : undefined,
      logger,
      metrics,
      policy: config.policy,
      runtime: dryRunOverride === undefined ? config.runtime : { ...config.runtime, dryRun: dryRunOverride },
      now: deps.now,
      notFoundRetryDelayMs: deps.notFoundRetryDelayMs,
      remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined,
    };
  };

  const handler = async (event: unknown, context?: Context): Promise<HandlerResult> => {
    const runs: RunSummary[] = [];
    try {
      if (context) logger.addContext(context);
      const md = passDeps(context);
      let trigger: Trigger;
      try {
        trigger = classifyEvent(event, md.runtime.selfRoleArn);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        logger.error("event rejected", { error: error.message, event });
        metrics.addMetric(METRIC.invalidEvents, MetricUnit.Count, 1);
        return { status: "failed", detail: error.message, runs };
      }
      logger.info("event received", { trigger });
      if (trigger.kind === "ignore") return { status: "ignored", detail: trigger.why, runs };
      if (trigger.kind === "reconcile") {
        runs.push(await runPass(md, { kind: "all" }));
      } else {
        for (const instanceId of trigger.instanceIds)
          runs.push(await runPass(md, { kind: "instance", instanceId }));
      }
      return { status: runs.some((r) => r.failed > 0) ? "failed" : "ok", detail: trigger.why, runs };
    } catch (error) {
      return fail(error, runs);
    } finally {
      flushMetrics(metrics);
    }
  };

  const reconcileHandler = async (event: unknown, context?: Context): Promise<HandlerResult> => {
    try {
      if (context) logger.addContext(context);
      // Only the reconciler checks the listener: its role has elasticloadbalancing:DescribeListeners, and one
      // look per reconcile period is what the alarm evaluates (the listener is not a per-instance fact).
      const md = passDeps(context, dryRunRequested(event), true);
      const summary = await runPass(md, { kind: "all" });
      return { status: summary.failed > 0 ? "failed" : "ok", detail: "reconciled", runs: [summary] };
    } catch (error) {
      return fail(error);
    } finally {
      flushMetrics(metrics);
    }
  };

  return { handler, reconcileHandler };
}
