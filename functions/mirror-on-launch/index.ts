// Lambda entry points, wiring only: SDK clients (../shared/aws.ts), the function's Logger and Metrics, and
// the handlers of handler.ts over them, built once per cold start.
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/aws.js";
import type { Env } from "../shared/env.js";
import { createHandlers, type HandlerDeps } from "./handler.js";
import { createTelemetry } from "./metrics.js";

/** The real dependencies: clients with adaptive retries, Powertools from the environment. */
export function buildDeps(env: Env): HandlerDeps {
  return {
    ec2: new EC2Client(sdkClientConfig()),
    s3: new S3Client(sdkClientConfig()),
    elbv2: new ElasticLoadBalancingV2Client(sdkClientConfig()),
    ...createTelemetry(env),
    env,
  };
}

let coldStart: ReturnType<typeof createHandlers> | undefined;
const handlers = () => {
  coldStart ??= createHandlers(buildDeps(process.env));
  return coldStart;
};

export const handler = (event: unknown, context?: Context) => handlers().handler(event, context);
export const reconcileHandler = (event: unknown, context?: Context) =>
  handlers().reconcileHandler(event, context);
