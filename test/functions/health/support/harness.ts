// Test harness for the health handler: real AWS clients aimed at moto_server, a silent logger, the
// function's own Metrics (its EMF output is captured with test/support/metrics.ts), and SNS messages read
// back from moto's model data.
import { Logger } from "@aws-lambda-powertools/logger";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { parseConfig } from "../../../../functions/health/config.js";
import type { HealthDeps } from "../../../../functions/health/handler.js";
import { createTelemetry } from "../../../../functions/health/metrics.js";
import { sdkClientConfig } from "../../../../functions/shared/aws.js";
import type { MotoServer } from "../../../support/moto.js";
import { SENSOR_ASG } from "./fixtures.js";

export const LOG_GROUP = "/spanless/sensors/userdata";

export function clients(moto: MotoServer) {
  const config = { ...sdkClientConfig({ maxAttempts: 2 }), ...moto.clientConfig };
  return {
    logs: new CloudWatchLogsClient(config),
    autoscaling: new AutoScalingClient(config),
    ec2: new EC2Client(config),
    sns: new SNSClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
  };
}

export function makeDeps(
  moto: MotoServer,
  topicArn: string,
  env: Record<string, string> = {},
  overrides: Partial<HealthDeps> = {},
): HealthDeps {
  const deps: HealthDeps = {
    config: parseConfig({
      SENSOR_LOG_GROUP: LOG_GROUP,
      ALERT_TOPIC_ARN: topicArn,
      SENSOR_ASG_NAME: SENSOR_ASG,
      ...env,
    }),
    logger: new Logger({ logLevel: "SILENT" }),
    metrics: createTelemetry({}).metrics,
    ...clients(moto),
    now: () => new Date("2026-11-24T02:45:00Z"),
    ...overrides,
  };
  return deps;
}

export async function createTopic(sns: SNSClient, name: string): Promise<string> {
  const out = await sns.send(new CreateTopicCommand({ Name: name }));
  return out.TopicArn!;
}

/** Messages moto recorded as published to `topicArn` (moto keeps them in its model data). */
export interface PublishedMessage {
  subject: string;
  body: string;
  /** Message attributes, name → string value. */
  attributes: Record<string, string>;
}

export async function publishedMessages(moto: MotoServer, topicArn: string): Promise<PublishedMessage[]> {
  const res = await fetch(`${moto.endpoint}/moto-api/data.json`);
  const data = (await res.json()) as {
    sns?: {
      Topic?: Array<{
        arn: string;
        sent_notifications: Array<
          [string, string, string | null, Record<string, { Value?: string; StringValue?: string }>]
        >;
      }>;
    };
  };
  const topic = data.sns?.Topic?.find((t) => t.arn === topicArn);
  return (topic?.sent_notifications ?? []).map(([, body, subject, attrs]) => ({
    subject: subject ?? "",
    body,
    attributes: Object.fromEntries(
      Object.entries(attrs ?? {}).map(([name, v]) => [name, v.Value ?? v.StringValue ?? ""]),
    ),
  }));
}

/** Writes `lines` to `<instanceId>-userdata`, one log event per line as the CloudWatch agent does. */
export async function writeUserDataLog(
  logs: CloudWatchLogsClient,
  instanceId: string,
  lines: readonly string[],
  group = LOG_GROUP,
): Promise<void> {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch((e: Error) => {
    if (e.name !== "ResourceAlreadyExistsException") throw e;
  });
  const stream = `${instanceId}-userdata`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  // Recent timestamps: CloudWatch Logs (and moto) refuse events too far in the past or future.
  const start = Date.now() - 60_000;
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: lines.map((message, i) => ({ message, timestamp: start + i * 10 })),
    }),
  );
}
