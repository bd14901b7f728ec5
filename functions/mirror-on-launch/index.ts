// Lambda entry points. `handler` takes EventBridge events (instance state changes, and optionally
// CloudTrail AttachNetworkInterface / CreateTags / DeleteTags / DeleteTrafficMirrorSession);
// `reconcileHandler` runs the whole-region plan on a schedule or on demand (backfill). Both are thin:
// every decision is in plan.ts. Neither ever throws — a thrown error would make EventBridge retry
// the same event for up to 24 hours — so every failure becomes a log line and a metric.

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/aws.js";
import { parseRuntimeConfig, type RuntimeConfig } from "./config.js";
import {
  errorCode,
  InvalidEventError,
  InventoryError,
  PolicyConfigError,
  VniMapPublishError,
} from "./errors.js";
import { interpretEvent } from "./events.js";
import {
  countInvocationError,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  METRIC,
} from "./observability.js";
import { parsePolicy } from "./policy.js";
import { type MirrorDeps, type RunSummary, runMirror } from "./run.js";
import type { Policy } from "./types.js";

export interface HandlerResult {
  status: "ok" | "ignored" | "failed";
  detail: string;
  runs: RunSummary[];
}

export interface HandlerDeps {
  ec2: EC2Client;
  s3: S3Client;
  logger: Logger;
  metrics: Metrics;
  env: Readonly<Record<string, string | undefined>>;
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

  // Skips and failures go out as single metrics right away; flush the rest only when there is any,
  // so an ignored event does not produce Powertools' "no metrics" warning on every invocation.
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };

  const fail = (error: unknown, runs: RunSummary[] = []): HandlerResult => {
    const code =
      error instanceof InventoryError
        ? error.errorCode
        : error instanceof PolicyConfigError || error instanceof VniMapPublishError
          ? error.name
          : errorCode(error);
    logger.error("mirror invocation failed", { errorCode: code, error: error as Error });
    countInvocationError(deps, code);
    return { status: "failed", detail: `${code}: ${(error as Error)?.message ?? String(error)}`, runs };
  };

  const mirrorDeps = (context: Context | undefined, dryRunOverride?: boolean): MirrorDeps => {
    config ??= { policy: parsePolicy(deps.env), runtime: parseRuntimeConfig(deps.env) };
    return {
      ec2: deps.ec2,
      s3: deps.s3,
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
      const md = mirrorDeps(context);
      let trigger: ReturnType<typeof interpretEvent>;
      try {
        trigger = interpretEvent(event, md.runtime.selfRoleArn);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        logger.error("event rejected", { error: error.message, event });
        metrics.addMetric(METRIC.invalidEvents, MetricUnit.Count, 1);
        return { status: "failed", detail: error.message, runs };
      }
      logger.info("event received", { trigger });
      if (trigger.kind === "ignore") return { status: "ignored", detail: trigger.why, runs };
      if (trigger.kind === "reconcile") {
        runs.push(await runMirror(md, { kind: "all" }));
      } else {
        for (const instanceId of trigger.instanceIds)
          runs.push(await runMirror(md, { kind: "instance", instanceId }));
      }
      return { status: runs.some((r) => r.failed > 0) ? "failed" : "ok", detail: trigger.why, runs };
    } catch (error) {
      return fail(error, runs);
    } finally {
      flush();
    }
  };

  const reconcileHandler = async (event: unknown, context?: Context): Promise<HandlerResult> => {
    try {
      if (context) logger.addContext(context);
      const md = mirrorDeps(context, dryRunRequested(event));
      const summary = await runMirror(md, { kind: "all" });
      return { status: summary.failed > 0 ? "failed" : "ok", detail: "reconciled", runs: [summary] };
    } catch (error) {
      return fail(error);
    } finally {
      flush();
    }
  };

  return { handler, reconcileHandler };
}

let defaultHandlers: ReturnType<typeof createHandlers> | undefined;

function defaults(): ReturnType<typeof createHandlers> {
  defaultHandlers ??= createHandlers({
    ec2: new EC2Client(sdkClientConfig()),
    s3: new S3Client(sdkClientConfig()),
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    }),
    env: process.env,
  });
  return defaultHandlers;
}

export const handler = (event: unknown, context?: Context) => defaults().handler(event, context);
export const reconcileHandler = (event: unknown, context?: Context) =>
  defaults().reconcileHandler(event, context);
