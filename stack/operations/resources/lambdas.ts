// One Spanless Lambda function: its log group (retention, the stack's KMS key), its role holding exactly the
// policy document given (SST's default AWSLambdaBasicExecutionRole — logs:* on every group — is replaced by the
// document's OwnLogs statement), the function itself (SST bundles functions/<name>/index.ts at deploy, as
// tools/bundle.mjs does offline), and its asynchronous-invocation settings: Lambda's retries, then the
// on-failure queue.
import { ARCHITECTURE, FUNCTIONS, type FunctionKey } from "../functions.js";
import { assumeRolePolicy } from "../policies.js";
import { deadLetterQueue, type QueueRecord, tlsOnlyQueuePolicy } from "./queues.js";

export interface LambdaRecord {
  key: FunctionKey;
  /** Physical function name (`<base>-<suffix>`): the `FunctionName` dimension. */
  name: string;
  fn: sst.aws.Function;
  arn: $util.Output<string>;
  roleArn: $util.Output<string>;
  onFailure: QueueRecord;
}

export interface LambdaInput {
  key: FunctionKey;
  base: string;
  environment: Record<string, $util.Input<string>>;
  logRetentionDays: number;
  logKmsKeyArn?: $util.Input<string>;
  /** The role's policy JSON, given the function's log group name and on-failure queue ARN. */
  policy: (logGroupName: string, onFailureQueueArn: $util.Output<string>) => $util.Output<string>;
}

/** Logical (Pulumi) names: `MirrorEvents`, `InstanceRefresh`, … (SST adds `Function`, `Role`, …). */
export const logicalName = (key: FunctionKey) => key.charAt(0).toUpperCase() + key.slice(1);

export function spanlessFunction(i: LambdaInput): LambdaRecord {
  const spec = FUNCTIONS[i.key];
  const logical = logicalName(i.key);
  const name = `${i.base}-${spec.suffix}`;
  const logGroupName = `/aws/lambda/${name}`;

  const logGroup = new aws.cloudwatch.LogGroup(`${logical}LogGroup`, {
    name: logGroupName,
    retentionInDays: i.logRetentionDays,
    ...(i.logKmsKeyArn !== undefined ? { kmsKeyId: i.logKmsKeyArn } : {}),
  });
  const onFailure = deadLetterQueue(
    `${logical}FailedInvocations`,
    `${name}-failed`,
    `${spec.suffix}-failed`,
    `asynchronous invocations of ${name} that failed after Lambda's retries (or were too old)`,
  );
  tlsOnlyQueuePolicy(`${logical}FailedInvocationsPolicy`, onFailure);
  const policy = i.policy(logGroupName, onFailure.queue.arn);

  const fn = new sst.aws.Function(logical, {
    name,
    description: spec.description,
    handler: spec.handler,
    runtime: "nodejs24.x",
    architecture: ARCHITECTURE,
    memory: `${spec.memoryMb} MB`,
    timeout: `${spec.timeoutSeconds} seconds`,
    environment: i.environment,
    logging: { logGroup: logGroup.name, format: "text" },
    ...(spec.reservedConcurrency !== undefined
      ? { concurrency: { reserved: spec.reservedConcurrency } }
      : {}),
    retries: spec.asyncRetries,
    nodejs: {
      format: "esm",
      minify: true,
      sourcemap: true,
      // Error classes are reported by name (err.name): keep them through minification, as tools/bundle.mjs
      // does. SST's build already sets keepNames and the createRequire banner; stated here so it stays so.
      esbuild: { keepNames: true },
    },
    transform: {
      role: (args: aws.iam.RoleArgs) => {
        args.name = name;
        args.description = `Spanless ${spec.source}: least-privilege role of ${name}`;
        // SST's role also trusts the account root (for `sst dev`'s live mode); only Lambda may assume this one.
        args.assumeRolePolicy = JSON.stringify(assumeRolePolicy("lambda.amazonaws.com"));
        args.managedPolicyArns = [];
        args.inlinePolicies = [{ name: "least-privilege", policy }];
      },
      eventInvokeConfig: (args: aws.lambda.FunctionEventInvokeConfigArgs) => {
        args.maximumEventAgeInSeconds = 3600;
        args.destinationConfig = { onFailure: { destination: onFailure.queue.arn } };
      },
    },
  });
  const role = fn.nodes.role;
  return { key: i.key, name, fn, arn: fn.arn, roleArn: role.arn, onFailure };
}
