// The operations half of the stack: the three functions (mirror-on-launch as two: its event handler and its
// reconciler) with least-privilege roles, the EventBridge rules and Scheduler schedules that invoke them (every
// one with a retry policy and a dead-letter queue), the instance-refresh state table, the on-call topic, every
// alarm (alarms.ts) and the dashboard (dashboard.ts). Wiring only: what each piece is and why lives in
// the pure modules beside this file, which test/stack/operations tests directly.
import { sensorConfigPrefixForStage } from "../../contracts/config/names.js";
import type { StackContext, StackOutputs } from "../context.js";
import { VNI_MAP_KEY } from "../names.js";
import { buildAlarms, refreshGuardAlarmNames } from "./alarms.js";
import { buildDashboard, dashboardUrl } from "./dashboard.js";
import {
  healthPattern,
  mirrorStateChangePattern,
  refreshOutcomesPattern,
  refreshParametersPattern,
} from "./events.js";
import {
  FUNCTION_KEYS,
  FUNCTION_LOG_RETENTION_DAYS,
  type FunctionKey,
  healthEnvironment,
  mirrorRuntimeEnvironment,
  refreshEnvironment,
  SCHEDULES,
} from "./functions.js";
import { arn, healthPolicy, mirrorPolicy, refreshPolicy, type Scope } from "./policies.js";
import { metricAlarm } from "./resources/alarms.js";
import { type LambdaRecord, spanlessFunction } from "./resources/lambdas.js";
import { oncallTopic, oncallTopicPolicy } from "./resources/topic.js";
import { eventRule, schedule } from "./resources/triggers.js";

/** Sessions left in the account's 10,000 below which on-call is told (the README's suggestion). */
export const MIRROR_QUOTA_HEADROOM = 500;

export interface OperationsOutputs extends StackOutputs {
  dashboardUrl: $util.Output<string>;
  oncallTopicArn: $util.Output<string>;
}

export function operations(ctx: StackContext): OperationsOutputs {
  const { config, names } = ctx;
  const base = names.base;
  const scope: $util.Output<Scope> = $resolve({
    partition: ctx.partition,
    region: ctx.region,
    account: ctx.accountId,
  });
  const parameterPrefix = config.parameters.prefix ?? sensorConfigPrefixForStage(config.stage);
  const parameterNames = Object.values(config.parameterNames);
  const asgName = names.autoScalingGroup;
  const mirror = config.mirror;
  // The same value stack/mirror-policy.ts gives OWNER_TAG_VALUE: the IAM conditions must match the tag.
  const ownerTagValue = names.base;
  const logRetentionDays = Math.max(config.logRetentionDays, FUNCTION_LOG_RETENTION_DAYS);
  const logKmsKeyArn = ctx.storage.kmsKey.arn;

  const topic = oncallTopic({
    base,
    scope,
    email: config.alarms.email,
    existingTopicArn: config.alarms.topicArn,
  });

  const table = new aws.dynamodb.Table("RolloutStateTable", {
    name: `${base}-rollout-state`,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "pk",
    attributes: [{ name: "pk", type: "S" }],
    // Refresh records carry `expiresAt` (90 days, instance-refresh README).
    ttl: { attributeName: "expiresAt", enabled: true },
    // The AWS managed aws/dynamodb key: the items are parameter names, versions and timestamps (never values),
    // and a customer managed key would need grants for the function on top.
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: false },
  });

  const fns = {} as Record<FunctionKey, LambdaRecord>;
  const policyJson = <T extends Record<string, unknown>>(values: T, build: (v: $util.Unwrap<T>) => unknown) =>
    $util.output(values).apply((v) => JSON.stringify(build(v as $util.Unwrap<T>)));

  for (const key of ["mirrorEvents", "mirrorReconcile"] as const) {
    const reconciler = key === "mirrorReconcile";
    fns[key] = spanlessFunction({
      key,
      base,
      logRetentionDays,
      logKmsKeyArn,
      environment: {
        ...ctx.mirrorPolicyEnv,
        // Only the reconciler publishes the VNI map (the event handler never runs a whole-region pass here)
        // and checks the NLB's UDP 4789 listener.
        ...mirrorRuntimeEnvironment<$util.Input<string>>(
          reconciler
            ? {
                vniMapBucket: ctx.storage.bucket.bucket,
                vniMapKey: VNI_MAP_KEY,
                sensorNlbArn: ctx.sensors.loadBalancer.arn,
              }
            : {},
        ),
      },
      policy: (logGroupName, onFailureArn) =>
        policyJson(
          {
            scope,
            targetId: ctx.sensors.mirrorTarget.id,
            filterId: ctx.sensors.mirrorFilter.id,
            bucket: ctx.storage.bucket.bucket,
            bucketKeyArn: ctx.storage.kmsKey.arn,
            onFailureArn,
          },
          (v) =>
            mirrorPolicy({
              scope: v.scope,
              targetId: v.targetId,
              filterId: v.filterId,
              ownerTagValue,
              vniMap: reconciler
                ? { bucket: v.bucket, key: VNI_MAP_KEY, bucketKeyArn: v.bucketKeyArn }
                : undefined,
              includeVpcIds: mirror.includeVpcIds,
              checkListener: reconciler,
              logGroupNames: [logGroupName],
              onFailureQueueArns: [v.onFailureArn],
            }),
        ),
    });
  }

  fns.instanceRefresh = spanlessFunction({
    key: "instanceRefresh",
    base,
    logRetentionDays,
    logKmsKeyArn,
    environment: refreshEnvironment<$util.Input<string>>({
      stage: config.stage,
      parameterPrefix,
      sensorAsgName: asgName,
      tableName: table.name,
      topicArn: topic.arn,
      alarmNames: refreshGuardAlarmNames(base, config.azs),
      crossZoneEnabled: config.sensors.crossZone,
    }),
    policy: (logGroupName, onFailureArn) =>
      policyJson(
        {
          scope,
          launchTemplateId: ctx.sensors.launchTemplate.id,
          tableArn: table.arn,
          topicArn: topic.arn,
          topicKeyArn: topic.keyArn,
          sensorRoleArn: ctx.sensors.role.arn,
          onFailureArn,
        },
        (v) =>
          refreshPolicy({
            scope: v.scope,
            parameterNames,
            parameterKmsKeyArn:
              config.parameters.kmsKeyArn ??
              // The AWS managed aws/ssm key: its ARN is not known without a lookup, so any key of the account,
              // narrowed by the conditions to decryption through SSM of exactly these parameters.
              arn(v.scope, "kms", "key/*"),
            asgName,
            launchTemplateId: v.launchTemplateId,
            tableArn: v.tableArn,
            topicArn: v.topicArn,
            topicKeyArn: v.topicKeyArn,
            sensorInstanceRoleArn: v.sensorRoleArn,
            logGroupNames: [logGroupName],
            onFailureQueueArns: [v.onFailureArn],
          }),
      ),
  });

  fns.health = spanlessFunction({
    key: "health",
    base,
    logRetentionDays,
    logKmsKeyArn,
    environment: healthEnvironment<$util.Input<string>>({
      sensorLogGroupName: ctx.storage.logGroup.name,
      topicArn: topic.arn,
      sensorAsgName: asgName,
      targetGroupArn: ctx.sensors.targetGroup.arn,
    }),
    policy: (logGroupName, onFailureArn) =>
      policyJson(
        {
          scope,
          sensorLogGroupName: ctx.storage.logGroup.name,
          topicArn: topic.arn,
          topicKeyArn: topic.keyArn,
          onFailureArn,
        },
        (v) =>
          healthPolicy({
            scope: v.scope,
            sensorLogGroupName: v.sensorLogGroupName,
            topicArn: v.topicArn,
            topicKeyArn: v.topicKeyArn,
            asgName,
            logGroupNames: [logGroupName],
            onFailureQueueArns: [v.onFailureArn],
          }),
      ),
  });

  oncallTopicPolicy(topic, scope, [fns.instanceRefresh.roleArn, fns.health.roleArn]);

  const rules = [
    eventRule(base, "mirrorStateChange", mirrorStateChangePattern(), fns.mirrorEvents),
    eventRule(base, "refreshParameters", refreshParametersPattern(parameterPrefix), fns.instanceRefresh),
    eventRule(base, "refreshOutcomes", refreshOutcomesPattern(asgName), fns.instanceRefresh),
    eventRule(base, "health", healthPattern(asgName), fns.health),
  ];
  const schedules = [
    schedule(base, "mirrorReconcile", mirror.reconcileEveryMinutes, fns.mirrorReconcile, ctx.accountId),
    schedule(base, "instanceRefresh", SCHEDULES.instanceRefresh.minutes, fns.instanceRefresh, ctx.accountId),
    schedule(base, "health", SCHEDULES.health.minutes, fns.health, ctx.accountId),
  ];
  const queues = [
    ...rules.map((r) => r.dlq),
    ...schedules.map((s) => s.dlq),
    ...FUNCTION_KEYS.map((k) => fns[k].onFailure),
  ];

  const functionNames = Object.fromEntries(FUNCTION_KEYS.map((k) => [k, fns[k].name])) as Record<
    FunctionKey,
    string
  >;
  const nlb = {
    loadBalancer: ctx.sensors.loadBalancer.arnSuffix,
    targetGroup: ctx.sensors.targetGroup.arnSuffix,
  };
  const specs = buildAlarms<$util.Input<string>>({
    prefix: base,
    azs: config.azs,
    crossZoneEnabled: config.sensors.crossZone,
    nlb,
    asgName,
    functionNames,
    queues: queues.map(({ key, name, holds }) => ({ key, name, holds })),
    reconcileMinutes: mirror.reconcileEveryMinutes,
    mirrorQuotaHeadroom: MIRROR_QUOTA_HEADROOM,
  });
  const alarms = specs.map((spec) => metricAlarm(spec, topic.arn));

  const dashboardName = base;
  new aws.cloudwatch.Dashboard("OncallDashboard", {
    dashboardName,
    dashboardBody: $resolve({
      region: ctx.region,
      loadBalancer: nlb.loadBalancer,
      targetGroup: nlb.targetGroup,
      alarmArns: $util.all(alarms.map((a) => a.arn)),
    }).apply((v) =>
      JSON.stringify(
        buildDashboard({
          region: v.region,
          title: `Spanless ${config.stage}: sensors, mirroring, rollouts`,
          azs: config.azs,
          nlb: { loadBalancer: v.loadBalancer, targetGroup: v.targetGroup },
          asgName,
          functionNames,
          queueNames: queues.map((q) => q.name),
          alarmArns: v.alarmArns,
        }),
      ),
    ),
  });

  return {
    dashboardUrl: ctx.region.apply((r) => dashboardUrl(r, dashboardName)),
    oncallTopicArn: topic.arn,
  };
}
