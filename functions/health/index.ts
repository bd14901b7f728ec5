// Lambda entry point, wiring only: the function's Logger and Metrics, and the SDK clients
// (../shared/aws.ts) and configuration, built on first use so a configuration error is reported by the
// handler (handler.ts), not thrown at import.
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import { sdkClientConfig } from "../shared/aws.js";
import type { Env } from "../shared/env.js";
import type { Telemetry } from "../shared/telemetry.js";
import { parseConfig } from "./config.js";
import { createHandler, type HealthDeps } from "./handler.js";
import { createTelemetry } from "./metrics.js";

/** Clients and configuration over the given Logger and Metrics. */
export function buildDeps(env: Env, telemetry: Telemetry): HealthDeps {
  const client = sdkClientConfig();
  return {
    config: parseConfig(env),
    ...telemetry,
    logs: new CloudWatchLogsClient(client),
    autoscaling: new AutoScalingClient(client),
    ec2: new EC2Client(client),
    sns: new SNSClient(client),
    elbv2: new ElasticLoadBalancingV2Client(client),
    cloudwatch: new CloudWatchClient(client),
    now: () => new Date(),
  };
}

const telemetry = createTelemetry(process.env);
let coldStart: HealthDeps | undefined;

export const handler = createHandler(() => {
  coldStart ??= buildDeps(process.env, telemetry);
  return coldStart;
}, telemetry);
