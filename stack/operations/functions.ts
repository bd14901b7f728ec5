// The Lambda functions the stack deploys and the environment each one gets. Pure: the environment builders
// take resolved values (or Pulumi inputs, the type parameter V) and return exactly the variables the
// function's config.ts reads, so test/stack/operations/functions.test.ts can run each function's own
// parseConfig over what the stack would set.

/** One deployed Lambda function. mirror-on-launch ships two: its event handler and its reconciler. */
export type FunctionKey = "mirrorEvents" | "mirrorReconcile" | "instanceRefresh" | "health";

export interface FunctionSpec {
  /** The source folder under functions/. */
  source: "mirror-on-launch" | "instance-refresh" | "health";
  /** SST handler path: `functions/<name>/index.<export>`. */
  handler: string;
  /** Suffix of the physical name (`<prefix>-<suffix>`): alarms and the dashboard name functions by it. */
  suffix: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency, only where two concurrent invocations would race. */
  reservedConcurrency?: number;
  /** Lambda's own retries of an asynchronous invocation before the on-failure destination. */
  asyncRetries: number;
}

export const FUNCTION_KEYS: readonly FunctionKey[] = [
  "mirrorEvents",
  "mirrorReconcile",
  "instanceRefresh",
  "health",
];

export const FUNCTIONS: Readonly<Record<FunctionKey, FunctionSpec>> = {
  mirrorEvents: {
    source: "mirror-on-launch",
    handler: "functions/mirror-on-launch/index.handler",
    suffix: "mirror-events",
    description: "Spanless: mirrors one instance's ENIs to the sensors on EC2 state changes",
    // One instance per event: a few describes and at most a handful of session calls.
    memoryMb: 256,
    timeoutSeconds: 60,
    // Never throws (README): Lambda's async retries would only repeat a pass that already logged its failure.
    asyncRetries: 0,
  },
  mirrorReconcile: {
    source: "mirror-on-launch",
    handler: "functions/mirror-on-launch/index.reconcileHandler",
    suffix: "mirror-reconcile",
    description: "Spanless: reconciles every in-scope ENI's mirror session and publishes the VNI map",
    // The whole region's inventory in memory (bench: 1,000 instances, 1,500 ENIs) and up to 32 calls in
    // flight; more memory is also more CPU for the planner.
    memoryMb: 1024,
    // A first backfill of ~1,000 creates is throttled by EC2; the handler stops starting calls 10 s before
    // the deadline and the next pass continues, so 5 minutes is a budget, not a requirement.
    timeoutSeconds: 300,
    // Two whole-region passes at once (the schedule and a manual backfill) would plan against the same
    // inventory and race each other's creates; ClientTokens make that safe but wasteful, so allow one.
    reservedConcurrency: 1,
    asyncRetries: 0,
  },
  instanceRefresh: {
    source: "instance-refresh",
    handler: "functions/instance-refresh/index.handler",
    suffix: "instance-refresh",
    description: "Spanless: validates sensor config changes and rolls them out with an instance refresh",
    // README: timeout <= 120 s (the rollout lease is 5 minutes), 256 MB.
    memoryMb: 256,
    timeoutSeconds: 120,
    // No reserved concurrency (README): the DynamoDB lease serialises rollouts, and a burst of ten
    // parameter edits must be buffered at once, not throttled (throttles would page through the alarm).
    asyncRetries: 2,
  },
  health: {
    source: "health",
    handler: "functions/health/index.handler",
    suffix: "health",
    description: "Spanless: explains failed sensor launches to on-call and publishes fleet health metrics",
    // Reads up to 3 boot logs (500 events each) per refresh problem and the fleet summary.
    memoryMb: 256,
    timeoutSeconds: 120,
    // The one error it throws is a failed SNS publish (README): retry it, then keep it in the DLQ.
    asyncRetries: 2,
  },
};

/** Lambda architecture for every function: pure JavaScript bundles, and arm64 costs ~20 % less per GB-s. */
export const ARCHITECTURE = "arm64";
/** Days the functions' own logs are kept (decisions and pages are audit material for an incident review). */
export const FUNCTION_LOG_RETENTION_DAYS = 90;

/**
 * How often the schedules run (the reconciler's rate is the config's `mirror.reconcileEveryMinutes`).
 * instance-refresh: its debounce tick (README: every minute). health: the fleet summary and the sweep that
 * abandons failed boots early; SUMMARY_PERIOD_MINUTES follows the rate so the summary looks back exactly one run.
 */
export const SCHEDULES = {
  instanceRefresh: { minutes: 1 },
  health: { minutes: 5 },
} as const;

export const rateExpression = (minutes: number): string =>
  minutes === 1 ? "rate(1 minute)" : `rate(${minutes} minutes)`;

type Env<V> = Record<string, V | string>;

export interface MirrorRuntimeInput<V> {
  /** Unset: the map is not published (only the reconciler publishes it). */
  vniMapBucket?: V;
  vniMapKey?: string;
  /** The sensors' NLB, whose UDP 4789 listener the reconciler checks (SENSOR_NLB_ARN). */
  sensorNlbArn?: V;
}

/** Drops unset variables: a blank variable would be read as unset anyway, but the console shows less noise. */
function defined<V>(env: Record<string, V | string | undefined>): Env<V> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Env<V>;
}

const list = (values: readonly string[] | undefined): string | undefined =>
  values && values.length > 0 ? values.join(",") : undefined;

/**
 * functions/mirror-on-launch/config.ts parseRuntimeConfig. The policy variables (target, filter, scope, owner
 * tag) come from the stack core (stack/mirror-policy.ts, `ctx.mirrorPolicyEnv`). SPANLESS_ROLE_ARN stays
 * unset: the stack does not subscribe the optional CloudTrail rule (it needs a trail; the reconciler is the
 * backstop), so no CloudTrail events of the function's own calls arrive.
 */
export function mirrorRuntimeEnvironment<V>(i: MirrorRuntimeInput<V>): Env<V> {
  return defined<V>({
    VNI_MAP_BUCKET: i.vniMapBucket,
    VNI_MAP_KEY: i.vniMapKey,
    SENSOR_NLB_ARN: i.sensorNlbArn,
  });
}

export interface RefreshEnvInput<V> {
  stage: string;
  parameterPrefix: string;
  sensorAsgName: V;
  tableName: V;
  topicArn: V;
  /** The per-AZ healthy-sensor alarms: a refresh that empties a zone fails and rolls back. */
  alarmNames: readonly string[];
  crossZoneEnabled: boolean;
  parameterLabel?: string;
}

/** functions/instance-refresh/config.ts: parseConfig. */
export function refreshEnvironment<V>(i: RefreshEnvInput<V>): Env<V> {
  return defined<V>({
    SPANLESS_STAGE: i.stage,
    CONFIG_PARAMETER_PREFIX: i.parameterPrefix,
    SENSOR_ASG_NAME: i.sensorAsgName,
    ROLLOUT_STATE_TABLE: i.tableName,
    ONCALL_TOPIC_ARN: i.topicArn,
    REFRESH_ALARM_NAMES: list(i.alarmNames),
    CROSS_ZONE_ENABLED: String(i.crossZoneEnabled),
    CONFIG_PARAMETER_LABEL: i.parameterLabel,
  });
}

export interface HealthEnvInput<V> {
  sensorLogGroupName: V;
  topicArn: V;
  sensorAsgName: V;
  targetGroupArn: V;
}

/** functions/health/config.ts: parseConfig. The coverage metric defaults already name mirror-on-launch's. */
export function healthEnvironment<V>(i: HealthEnvInput<V>): Env<V> {
  return {
    SENSOR_LOG_GROUP: i.sensorLogGroupName,
    ALERT_TOPIC_ARN: i.topicArn,
    SENSOR_ASG_NAME: i.sensorAsgName,
    SENSOR_TARGET_GROUP_ARNS: i.targetGroupArn,
    SUMMARY_PERIOD_MINUTES: String(SCHEDULES.health.minutes),
  };
}
