// Every CloudWatch alarm on-call gets, as data: what it watches, when it fires, how missing data counts
// and why, and a description that says what it means and what to check first (the same text as the
// runbook, stack/operations/README.md). Pure: `V` is the type of values only known at deploy time (the
// NLB's ARN suffixes, the group name), plain strings in tests. alarmResources() in resources/alarms.ts
// turns the specs into aws.cloudwatch.MetricAlarm resources, all pointing at the on-call topic.
import {
  AWS_METRIC,
  FUNCTION_NAMESPACE,
  HEALTH_METRIC,
  MIRROR_METRIC,
  REFRESH_METRIC,
  SENSOR_METRIC,
  SENSOR_NAMESPACE,
  SERVICE,
} from "./catalog.js";
import { FUNCTION_KEYS, FUNCTIONS, type FunctionKey } from "./functions.js";

/** The alarms the issue lists (one kind may have several alarms: per AZ, per function, per queue). */
export const ALARM_KINDS = [
  "healthy-sensors-per-az",
  "unhealthy-sensors",
  "launch-failures",
  "config-invalid",
  "refresh-failed",
  "no-incoming-data",
  "kernel-drops",
  "upload-backlog",
  "spool-drops",
  "mirror-coverage",
  "mirror-quota-headroom",
  "mirror-errors",
  "mirror-listener-missing",
  "lambda-errors",
  "lambda-throttles",
  "dlq-depth",
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export type Comparison =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";
export type MissingData = "breaching" | "notBreaching" | "ignore" | "missing";

export interface MetricStat<V> {
  namespace: string;
  metricName: string;
  dimensions: Record<string, V | string>;
  stat: "Sum" | "Minimum" | "Maximum" | "Average" | "SampleCount";
  period: number;
}

/** A metric-math or Metrics Insights query (`expression`), or a metric it uses (`metric`). */
export interface Query<V> {
  id: string;
  label?: string;
  returnData: boolean;
  expression?: string;
  /** Required by CloudWatch for a Metrics Insights expression in an alarm. */
  period?: number;
  metric?: MetricStat<V>;
}

export interface AlarmSpec<V> {
  key: string;
  kind: AlarmKind;
  /** Physical name: `<prefix>-<key>`. */
  name: string;
  description: string;
  comparison: Comparison;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: MissingData;
  /** Why missing data is treated this way (goes into the runbook and review, not to AWS). */
  missingDataWhy: string;
  /** Exactly one of `metric` and `queries`. */
  metric?: MetricStat<V>;
  queries?: Query<V>[];
}

export interface AlarmInput<V> {
  prefix: string;
  /** The sensors' Availability Zone names. */
  azs: readonly string[];
  crossZoneEnabled: boolean;
  /** `LoadBalancer` and `TargetGroup` dimension values (the ARN suffixes `net/…` and `targetgroup/…`). */
  nlb: { loadBalancer: V; targetGroup: V };
  asgName: V;
  functionNames: Readonly<Record<FunctionKey, string>>;
  /** Every dead-letter / on-failure queue: its name and what lands in it. */
  queues: readonly { key: string; name: string; holds: string }[];
  /** The reconciler's rate: the coverage and headroom metrics arrive once per run. */
  reconcileMinutes: number;
  /** Alarm when fewer sessions than this are left in the account's 10,000 (not adjustable). */
  mirrorQuotaHeadroom: number;
}

/** CloudWatch's limit on period × evaluation periods for periods under an hour (and what we keep to). */
export const MAX_EVALUATION_SECONDS = 86_400;

/** CloudWatch's limit on AlarmDescription. */
export const MAX_DESCRIPTION_LENGTH = 1024;

const MISSING = {
  event: "the metric is written only when it happens: no data means nothing happened",
  lambda: "Lambda publishes these only for periods with invocations: no data means no errors",
} as const;

export function buildAlarms<V>(i: AlarmInput<V>): AlarmSpec<V>[] {
  const alarm = (spec: Omit<AlarmSpec<V>, "name">): AlarmSpec<V> => ({
    ...spec,
    name: `${i.prefix}-${spec.key}`,
  });
  const fn = (
    m: string,
    dimensions: Record<string, V | string>,
    stat: MetricStat<V>["stat"],
    period: number,
  ) => ({ namespace: FUNCTION_NAMESPACE, metricName: m, dimensions, stat, period }) satisfies MetricStat<V>;
  const sensor = (m: string, dimensions: Record<string, V | string>, stat: MetricStat<V>["stat"]) =>
    ({ namespace: SENSOR_NAMESPACE, metricName: m, dimensions, stat, period: 60 }) satisfies MetricStat<V>;
  const reconcileSeconds = i.reconcileMinutes * 60;
  const coveragePasses = 2 * reconcileSeconds <= MAX_EVALUATION_SECONDS ? 2 : 1;
  const zoneLoss = i.crossZoneEnabled
    ? "Cross-zone load balancing is on, so the other zones' sensors take the traffic, at reduced capacity."
    : "Cross-zone load balancing is OFF: mirrored traffic from this zone is being dropped right now.";

  const alarms: AlarmSpec<V>[] = [];

  for (const az of i.azs) {
    alarms.push(
      alarm({
        key: `healthy-sensors-${az}`,
        kind: "healthy-sensors-per-az",
        description:
          `No healthy sensor behind the NLB in ${az}. ${zoneLoss} ` +
          "This alarm also guards instance refreshes (a refresh that empties a zone fails and rolls back). " +
          "Check first: the target group's Targets tab (health-check reason per target) and the Auto Scaling " +
          `group's activity history for failed launches in ${az} (the health function pages each cause); ` +
          "then `spanless health` on the zone's sensor through Session Manager.",
        metric: {
          namespace: AWS_METRIC.nlb.namespace,
          metricName: AWS_METRIC.nlb.healthy,
          dimensions: {
            AvailabilityZone: az,
            LoadBalancer: i.nlb.loadBalancer,
            TargetGroup: i.nlb.targetGroup,
          },
          stat: "Minimum",
          period: 60,
        },
        comparison: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "breaching",
        missingDataWhy:
          "the NLB reports HealthyHostCount for a zone while it has targets there; silence means no sensor is " +
          "registered in the zone, which loses that zone's traffic just like zero healthy ones",
      }),
    );
  }

  alarms.push(
    alarm({
      key: "unhealthy-sensors",
      kind: "unhealthy-sensors",
      description:
        "At least one sensor has failed the NLB health check for 5 minutes (its /healthcheck answers 503: dead " +
        "workers, sustained kernel drops or an unwritable output). Auto Scaling replaces it, and the health " +
        "function pages the cause. Check first: the target group's Targets tab for the failing instance, " +
        "then `spanless health` on it through Session Manager, then its `<instance-id>-userdata` log stream.",
      metric: {
        namespace: AWS_METRIC.nlb.namespace,
        metricName: AWS_METRIC.nlb.unhealthy,
        dimensions: { LoadBalancer: i.nlb.loadBalancer, TargetGroup: i.nlb.targetGroup },
        stat: "Maximum",
        period: 60,
      },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      // A booting sensor is unhealthy for a few checks after registration; five minutes ignores that.
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
      missingDataWhy:
        "no data is no evidence of an unhealthy target; a zone with no sensor at all is the per-AZ healthy alarm's job",
    }),
    alarm({
      key: "launch-failures",
      kind: "launch-failures",
      description:
        "A sensor failed to launch (or was replaced for failing health checks). The health function has sent " +
        "a page with the failing boot step and the cause (unless Auto Scaling's event was lost: the activity " +
        "history still counts it). Check first: that page (config-invalid, kms-access-denied, parameter-missing, " +
        "collector-unreachable, sensor-unhealthy, …), then the `<instance-id>-userdata` stream in the sensors' log group, then " +
        "the Auto Scaling group's activity history.",
      queries: [
        {
          id: "failures",
          label: "failed launches and health-check replacements",
          returnData: true,
          // Auto Scaling's events are best effort: the health summary also counts failed launch activities
          // from the activity history every run (one run per period); the larger of the two counts.
          expression: "MAX([FILL(launches, 0) + FILL(replaced, 0), FILL(history, 0)])",
        },
        {
          id: "history",
          returnData: false,
          metric: fn(HEALTH_METRIC.launchFailuresInPeriod, { service: SERVICE.health }, "Maximum", 300),
        },
        {
          id: "launches",
          returnData: false,
          metric: fn(
            HEALTH_METRIC.launchFailures,
            { service: SERVICE.health, AutoScalingGroupName: i.asgName },
            "Sum",
            300,
          ),
        },
        {
          id: "replaced",
          returnData: false,
          metric: fn(
            HEALTH_METRIC.unhealthyReplaced,
            { service: SERVICE.health, AutoScalingGroupName: i.asgName },
            "Sum",
            300,
          ),
        },
      ],
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataWhy: MISSING.event,
    }),
    alarm({
      key: "config-invalid",
      kind: "config-invalid",
      description:
        "A change to the sensor configuration in Parameter Store is invalid (or a required parameter is " +
        "missing), so it was NOT rolled out; running sensors keep their pinned configuration. Check first: " +
        "the instance-refresh notice on this topic, which names each parameter and the fix; save a corrected " +
        "version and it is validated again.",
      metric: fn(REFRESH_METRIC.configInvalid, { service: SERVICE.refresh }, "Sum", 60),
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataWhy: MISSING.event,
    }),
    alarm({
      key: "refresh-failed",
      kind: "refresh-failed",
      description:
        "An instance refresh of the sensors failed, was rolled back, or its rollback failed. Check first: the " +
        "instance-refresh and health notices on this topic (what was rolled out, which launches failed and " +
        "why), then the group's Instance refresh tab. After a failed rollback, check the healthy-sensors-per-AZ " +
        "alarms now.",
      queries: [
        {
          id: "problems",
          label: "refreshes failed or rolled back",
          returnData: true,
          expression: "FILL(failed, 0) + FILL(rolledBack, 0) + FILL(rollbackFailed, 0)",
        },
        ...(
          [
            ["failed", REFRESH_METRIC.refreshFailed],
            ["rolledBack", REFRESH_METRIC.refreshRolledBack],
            ["rollbackFailed", REFRESH_METRIC.refreshRollbackFailed],
          ] as const
        ).map(([id, m]) => ({
          id,
          returnData: false,
          metric: fn(m, { service: SERVICE.refresh }, "Sum", 60),
        })),
      ],
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataWhy: MISSING.event,
    }),
    alarm({
      key: "no-incoming-data",
      kind: "no-incoming-data",
      description:
        "A sensor has received no mirrored packets for 5 minutes (or no sensor reports metrics at all). " +
        "The alarm is a Metrics Insights MIN over the per-instance Packets series; the dashboard's " +
        "'Packets per sensor' graph shows which one. Check first: mirror coverage (sessions exist?), the NLB's " +
        "UDP 4789 listener (AWS drops mirrored traffic silently without it), the sensor's security group " +
        "(UDP 4789 from the mirrored ranges), then `spanless health` on the sensor.",
      queries: [
        {
          id: "packets",
          label: "fewest packets received by one sensor",
          returnData: true,
          // One series per sensor would need one alarm per instance, and the group replaces instances; the
          // MIN over every sensor that reported in the last minute is one series: the quietest sensor.
          expression: `SELECT MIN(${SENSOR_METRIC.packets}) FROM SCHEMA("${SENSOR_NAMESPACE}", AvailabilityZone, InstanceId)`,
          period: 60,
        },
      ],
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "breaching",
      missingDataWhy:
        "a dead daemon writes no metric lines; no data from every sensor means nothing is being analysed",
    }),
  );

  for (const az of i.azs) {
    alarms.push(
      alarm({
        key: `kernel-drops-${az}`,
        kind: "kernel-drops",
        description:
          `Sensors in ${az} are dropping more than 0.1 % of mirrored packets (kernel socket buffer or engine ` +
          "queues full) for 3 minutes: their /healthcheck turns unhealthy too. Check first: the dashboard's " +
          "per-sensor drops and packets (one hot sensor or the whole zone?), then scale out (desired/max " +
          "sensors) or a larger instance type; `spanless health` shows which queue drops.",
        queries: [
          {
            id: "dropRatio",
            label: `dropped / received in ${az}`,
            returnData: true,
            expression: "(FILL(kernel, 0) + FILL(queue, 0)) / (FILL(packets, 0) + FILL(kernel, 0))",
          },
          ...(
            [
              ["kernel", SENSOR_METRIC.kernelDrops],
              ["queue", SENSOR_METRIC.queueDrops],
              ["packets", SENSOR_METRIC.packets],
            ] as const
          ).map(([id, m]) => ({
            id,
            returnData: false,
            metric: sensor(m, { AvailabilityZone: az }, "Sum"),
          })),
        ],
        comparison: "GreaterThanThreshold",
        threshold: 0.001,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
        missingDataWhy:
          "without packets there is no ratio; a zone receiving nothing is the no-incoming-data alarm's job",
      }),
    );
  }

  alarms.push(
    alarm({
      key: "spool-drops",
      kind: "spool-drops",
      description:
        "Sensors dropped upload batches: the spool was full (the collector has been unreachable for a long " +
        "time) or the collector refused batches for good (400/401/413, kept in the spool's rejected/). " +
        "Records are lost. Check first: the upload-backlog alarm and the dashboard's backlog graph, the " +
        "collector's health, and the push token (a 401 means a revoked or wrong token parameter).",
      queries: [
        {
          id: "lost",
          label: "batches dropped or rejected",
          returnData: true,
          expression: "FILL(dropped, 0) + FILL(rejected, 0)",
        },
        {
          id: "dropped",
          returnData: false,
          metric: sensor(SENSOR_METRIC.spoolDroppedBatches, {}, "Sum"),
        },
        {
          id: "rejected",
          returnData: false,
          metric: sensor(SENSOR_METRIC.uploadRejectedBatches, {}, "Sum"),
        },
      ],
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataWhy: "no sensor metrics is the no-incoming-data alarm's job; a drop is always reported",
    }),
    alarm({
      key: "upload-backlog",
      kind: "upload-backlog",
      description:
        "No upload has succeeded for 30 minutes while batches wait in the sensors' spool: the collector is " +
        "unreachable or refusing, and the spool is covering the outage until it fills (then spool-drops " +
        "fires). Check first: the collector URL parameter and the collector itself, the NAT gateways' EIPs " +
        "in the collector's firewall, the proxy parameter, then the sensor's upload log lines.",
      queries: [
        {
          id: "stalled",
          label: "backlog waiting and nothing uploaded",
          returnData: true,
          expression: "IF(FILL(backlog, 0) > 0 AND FILL(uploaded, 0) < 1, 1, 0)",
        },
        {
          id: "backlog",
          returnData: false,
          metric: sensor(SENSOR_METRIC.spoolBacklogBytes, {}, "Maximum"),
        },
        {
          id: "uploaded",
          returnData: false,
          metric: sensor(SENSOR_METRIC.uploadedBatches, {}, "Sum"),
        },
      ],
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 30,
      datapointsToAlarm: 30,
      treatMissingData: "notBreaching",
      missingDataWhy: "without sensor metrics there is no backlog to judge; no-incoming-data covers silence",
    }),
    alarm({
      key: "mirror-coverage",
      kind: "mirror-coverage",
      description:
        "Fewer than 100 % of the in-scope ENIs have a Spanless mirror session, for two reconcile passes (or " +
        "the reconciler stopped reporting). Check first: the mirror-reconcile function's log lines " +
        "'mirror decision' with decision=skip (reason: eni-session-limit, account-session-quota, " +
        "unsupported type…) and status=failed (errorCode), then the mirror-errors alarm.",
      metric: fn(MIRROR_METRIC.coverage, { service: SERVICE.mirror }, "Minimum", reconcileSeconds),
      comparison: "LessThanThreshold",
      threshold: 100,
      // Two passes, within CloudWatch's one-day limit on periods × evaluation periods.
      evaluationPeriods: coveragePasses,
      datapointsToAlarm: coveragePasses,
      treatMissingData: "breaching",
      missingDataWhy:
        "the reconciler publishes coverage on every pass; silence for two passes means mirroring is unverified",
    }),
    alarm({
      key: "mirror-quota-headroom",
      kind: "mirror-quota-headroom",
      description:
        `Fewer than ${i.mirrorQuotaHeadroom} Traffic Mirror sessions are left of the account's 10,000 (not ` +
        "adjustable). New instances will soon go unmirrored. Check first: the reconciler's SessionsSkipped " +
        "(account-session-quota), whether the mirror scope (tags, VPCs, ENI scope) is wider than intended, " +
        "and sessions of other tools in the account.",
      metric: fn(MIRROR_METRIC.quotaHeadroom, { service: SERVICE.mirror }, "Minimum", reconcileSeconds),
      comparison: "LessThanThreshold",
      threshold: i.mirrorQuotaHeadroom,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "missing",
      missingDataWhy:
        "keep the last state: a silent reconciler is the mirror-coverage alarm's job, and headroom changes slowly",
    }),
    alarm({
      key: "mirror-errors",
      kind: "mirror-errors",
      description:
        "A mirror-on-launch pass could not run (InvocationErrors: throttled describes, a policy configuration " +
        "error, the VNI map upload failed). The ErrorCode dimension says which; the function never throws, " +
        "so Lambda's Errors metric does not show these. Check first: the function's ERROR log lines, then " +
        "its IAM role (AccessDenied) and environment (PolicyConfigError).",
      queries: [
        {
          id: "errors",
          label: "mirror-on-launch invocation errors (all error codes)",
          returnData: true,
          // Each ErrorCode is a metric of its own; Metrics Insights sums them all, including codes not yet seen.
          expression: `SELECT SUM(${MIRROR_METRIC.invocationErrors}) FROM SCHEMA("${FUNCTION_NAMESPACE}", ErrorCode, service) WHERE service = '${SERVICE.mirror}'`,
          period: 300,
        },
      ],
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataWhy: MISSING.event,
    }),
    alarm({
      key: "mirror-listener-missing",
      kind: "mirror-listener-missing",
      description:
        "The sensors' NLB has no UDP listener on port 4789 (deleted, moved to another port, or changed to TCP), " +
        "or the NLB is gone. AWS drops ALL mirrored traffic silently: every mirror session still looks fine. " +
        "The mirror-reconcile function's ERROR line 'mirror listener missing' names the NLB, the problem and " +
        "the fix. Check first: the NLB's Listeners tab in the console, or `aws elbv2 describe-listeners " +
        "--load-balancer-arn <the NLB's ARN>` (expect UDP:4789 forwarding to the sensors' target group), " +
        "and that the stack's last deploy succeeded. The stack owns the listener: `sst refresh` then " +
        "`sst deploy` recreates it.",
      metric: fn(MIRROR_METRIC.listenerMissing, { service: SERVICE.mirror }, "Maximum", reconcileSeconds),
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      // One reconcile pass is enough: with the listener gone nothing reaches the sensors, and the check is exact.
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "missing",
      missingDataWhy:
        "keep the last state: the reconciler writes 0 or more on every pass, and writes nothing only when it did " +
        "not run (mirror-coverage's job) or could not describe the listeners (mirror-errors, ListenerCheckError); " +
        "neither is evidence that the listener is back",
    }),
  );

  for (const key of FUNCTION_KEYS) {
    const name = i.functionNames[key];
    const what = FUNCTIONS[key].source;
    const lambda = (m: string): MetricStat<V> => ({
      namespace: AWS_METRIC.lambda.namespace,
      metricName: m,
      dimensions: { FunctionName: name },
      stat: "Sum",
      period: 300,
    });
    alarms.push(
      alarm({
        key: `lambda-errors-${FUNCTIONS[key].suffix}`,
        kind: "lambda-errors",
        description:
          `The ${name} function (${what}) failed invocations: it crashed, timed out or threw (health throws ` +
          "only when a page could not be published). Failed asynchronous invocations end in its on-failure " +
          "queue. Check first: the function's log group /aws/lambda/" +
          `${name} (ERROR lines, 'Task timed out'), then its recent deployments.`,
        metric: lambda(AWS_METRIC.lambda.errors),
        comparison: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
        missingDataWhy: MISSING.lambda,
      }),
      alarm({
        key: `lambda-throttles-${FUNCTIONS[key].suffix}`,
        kind: "lambda-throttles",
        description:
          `The ${name} function (${what}) was throttled: the account's concurrency is exhausted or its ` +
          "reserved concurrency is reached (the reconciler allows one run at a time: a manual backfill during " +
          "a scheduled pass is throttled). Lambda retries throttled asynchronous events for up to 6 hours. " +
          "Check first: the account's ConcurrentExecutions and other functions' usage.",
        metric: lambda(AWS_METRIC.lambda.throttles),
        comparison: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
        missingDataWhy: MISSING.lambda,
      }),
    );
  }

  for (const q of i.queues) {
    alarms.push(
      alarm({
        key: `dlq-${q.key}`,
        kind: "dlq-depth",
        description:
          `Messages are waiting in the dead-letter queue ${q.name}: ${q.holds} that could not be delivered or ` +
          "processed, after the retries. Nothing retries them on its own. Check first: a message's attributes " +
          "(ERROR_CODE / ERROR_MESSAGE, or the Lambda destination record's condition), fix the cause (a " +
          "function error alarm, a permission), then redrive the queue (SQS console: Start DLQ redrive).",
        metric: {
          namespace: AWS_METRIC.sqs.namespace,
          metricName: AWS_METRIC.sqs.visible,
          dimensions: { QueueName: q.name },
          stat: "Maximum",
          period: 300,
        },
        comparison: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
        missingDataWhy: "SQS stops reporting for queues idle for hours: no data means an empty, unused queue",
      }),
    );
  }

  return alarms;
}

/** The per-AZ healthy-sensor alarm names: instance-refresh's AlarmSpecification (at most 10). */
export function refreshGuardAlarmNames(prefix: string, azs: readonly string[]): string[] {
  return azs.map((az) => `${prefix}-healthy-sensors-${az}`).slice(0, 10);
}
