// Lambda entry point, wiring only: builds the SDK clients (../shared/aws.ts), the adapters over them and the
// function's Logger and Metrics once per cold start, and hands each event to the handler in handler.ts.
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { sensorParameterNames } from "../../contracts/config/index.js";
import { sdkClientConfig } from "../shared/aws.js";
import type { Env } from "../shared/env.js";
import { DynamoRolloutStore } from "./adapters/dynamodb.js";
import { AwsFleet } from "./adapters/fleet.js";
import { SnsNotifier } from "./adapters/sns.js";
import { SsmParameterReader } from "./adapters/ssm.js";
import { parseConfig } from "./config.js";
import { createHandler, type Deps } from "./handler.js";
import { createTelemetry } from "./metrics.js";

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
export function buildDeps(env: Env, options: BuildOptions = {}): Deps {
  const settings = parseConfig(env);
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
  return {
    settings,
    names,
    store: new DynamoRolloutStore(clients.dynamodb, settings.stateTableName, settings.asgName, now),
    parameters: new SsmParameterReader(clients.ssm, names, settings.parameterLabel),
    fleet: new AwsFleet(clients.autoScaling, clients.ec2, settings),
    notifier: new SnsNotifier(clients.sns, settings),
    ...createTelemetry(env),
    now,
  };
}

let coldStart: Deps | undefined;

export const handler = createHandler(() => {
  coldStart ??= buildDeps(process.env);
  return coldStart;
});
