// Lambda entry point: builds the SDK clients and adapters once per cold start and hands each event to the
// orchestration in rollout.ts. Everything that decides lives elsewhere; see README.md.

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { sensorParameterNames } from "../../contracts/config/index.js";
import { sdkClientConfig } from "../shared/aws.js";
import { AwsFleet } from "./fleet.js";
import { DEFAULT_METRICS_NAMESPACE, SERVICE_NAME } from "./metric-names.js";
import { SnsNotifier } from "./notifier.js";
import { SsmParameterReader } from "./parameters.js";
import { type Deps, type HandleResult, handleEvent } from "./rollout.js";
import { loadSettings } from "./settings.js";
import { DynamoRolloutStore } from "./state-store.js";

export type { Deps, HandleResult } from "./rollout.js";

export interface Clients {
  dynamodb: DynamoDBClient;
  ssm: SSMClient;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  sns: SNSClient;
}

export interface BuildOptions {
  /** Extra SDK client config (tests aim every client at moto_server with it). */
  clientConfig?: Record<string, unknown>;
  /** Ready-made clients, e.g. one wrapped by aws-sdk-client-mock for APIs moto lacks. */
  clients?: Partial<Clients>;
  now?: () => number;
}

/** Wires the real adapters over SDK v3 clients with adaptive retries. */
export function buildDeps(env: Record<string, string | undefined>, options: BuildOptions = {}): Deps {
  const settings = loadSettings(env);
  const names = sensorParameterNames(settings.parameterPrefix);
  const config = { ...sdkClientConfig(), ...options.clientConfig };
  const now = options.now ?? Date.now;
  const clients: Clients = {
    dynamodb: options.clients?.dynamodb ?? new DynamoDBClient(config),
    ssm: options.clients?.ssm ?? new SSMClient(config),
    autoScaling: options.clients?.autoScaling ?? new AutoScalingClient(config),
    ec2: options.clients?.ec2 ?? new EC2Client(config),
    sns: options.clients?.sns ?? new SNSClient(config),
  };
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
  });
  return {
    settings,
    names,
    store: new DynamoRolloutStore(clients.dynamodb, settings.stateTableName, settings.asgName, now),
    parameters: new SsmParameterReader(clients.ssm, names, settings.parameterLabel),
    fleet: new AwsFleet(clients.autoScaling, clients.ec2, settings),
    notifier: new SnsNotifier(clients.sns, settings),
    metrics,
    logger,
    now,
  };
}

/** A handler over given dependencies; metrics are flushed after every invocation, even a failed one. */
export function createHandler(getDeps: () => Deps): (event: unknown) => Promise<HandleResult> {
  return async (event: unknown) => {
    const deps = getDeps();
    try {
      return await handleEvent(deps, event);
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

let coldStartDeps: Deps | undefined;

export const handler = createHandler(() => {
  coldStartDeps ??= buildDeps(process.env);
  return coldStartDeps;
});
