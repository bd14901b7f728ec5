// Lambda entry point for the health function: builds its clients once per container, then hands each
// event to `handleHealthEvent`. Bad events and failed reads are logged with a metric, never thrown;
// only a failed SNS publish is thrown, so the asynchronous invocation retries the page.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/aws.js";
import { loadHealthConfig } from "./config.js";
import { describeError, NotificationPublishError } from "./errors.js";
import { type HealthDeps, type HealthResult, handleHealthEvent, METRIC } from "./handle.js";

const SERVICE = "spanless-health";
const NAMESPACE = "Spanless";

const logger = new Logger({ serviceName: SERVICE });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? NAMESPACE,
  serviceName: SERVICE,
});

let deps: HealthDeps | undefined;

/** Clients and configuration, built on first use so a configuration error is reported, not thrown at import. */
function buildDeps(): HealthDeps {
  const client = sdkClientConfig();
  return {
    config: loadHealthConfig(),
    logger,
    metrics,
    logs: new CloudWatchLogsClient(client),
    autoscaling: new AutoScalingClient(client),
    ec2: new EC2Client(client),
    sns: new SNSClient(client),
    elbv2: new ElasticLoadBalancingV2Client(client),
    cloudwatch: new CloudWatchClient(client),
    now: () => new Date(),
  };
}

/** Runs one event with the given dependencies; exported for tests and for reuse by a local runner. */
export async function runHealth(d: HealthDeps, event: unknown, context?: Context): Promise<HealthResult> {
  if (context) d.logger.addContext(context);
  try {
    return await handleHealthEvent(d, event);
  } catch (error) {
    d.metrics.addMetric(METRIC.handlerErrors, MetricUnit.Count, 1);
    if (error instanceof NotificationPublishError) {
      d.logger.error("on-call notification not published; the invocation will be retried", { error });
      throw error;
    }
    d.logger.error("health event not processed", { error });
    return { action: "none", reason: `error: ${describeError(error)}` };
  } finally {
    d.metrics.publishStoredMetrics();
  }
}

export async function handler(event: unknown, context: Context): Promise<HealthResult> {
  if (!deps) {
    try {
      deps = buildDeps();
    } catch (error) {
      logger.error("health function is misconfigured", { error });
      metrics.addMetric(METRIC.handlerErrors, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      return { action: "none", reason: `configuration error: ${describeError(error)}` };
    }
  }
  return runHealth(deps, event, context);
}
