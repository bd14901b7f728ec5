// The health Lambda's configuration, from environment variables (documented in README.md).
import { HealthConfigError } from "./errors.js";

export const DEFAULT_MIRROR_COVERAGE_NAMESPACE = "Spanless";
export const DEFAULT_MIRROR_COVERAGE_METRIC = "MirrorCoverage";
/** Matches the default schedule (rate(15 minutes)); the summary looks back this far. */
export const DEFAULT_SUMMARY_PERIOD_MINUTES = 15;
/** Enough lines to see the failing command and its error without flooding a phone screen. */
export const DEFAULT_LOG_LINES_IN_MESSAGE = 20;
export const MAX_LOG_LINES_IN_MESSAGE = 100;

export interface HealthConfig {
  sensorLogGroup: string;
  alertTopicArn: string;
  /** The sensor Auto Scaling group; events for other groups are ignored. */
  autoScalingGroupName: string;
  /** NLB target groups whose target health counts healthy sensors (schedule only). */
  targetGroupArns: string[];
  mirrorCoverage: {
    namespace: string;
    metricName: string;
    dimensions: Array<{ Name: string; Value: string }>;
  };
  summaryPeriodMinutes: number;
  logLinesInMessage: number;
  /** Abandon launch lifecycle actions of instances whose boot already failed (schedule only). */
  abandonFailedBoots: boolean;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new HealthConfigError(`environment variable ${name} is not set: it must hold ${what}`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new HealthConfigError(
      `environment variable ${name}="${raw}" must be a whole number from 1 to ${max}`,
    );
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new HealthConfigError(`environment variable ${name}="${env[name]}" must be true or false`);
}

/** `Name=Value,Name=Value` → CloudWatch dimensions. */
function dimensions(env: Env, name: string): Array<{ Name: string; Value: string }> {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw.split(",").map((pair) => {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || !key || !value) {
      throw new HealthConfigError(
        `environment variable ${name}: "${pair}" is not Name=Value (expected e.g. "Vpc=vpc-0abc,Mode=nlb")`,
      );
    }
    return { Name: key, Value: value };
  });
}

const ARN = /^arn:aws[a-z-]*:/;

export function loadHealthConfig(env: Env = process.env): HealthConfig {
  const alertTopicArn = required(env, "ALERT_TOPIC_ARN", "the ARN of the on-call SNS topic");
  if (!ARN.test(alertTopicArn)) {
    throw new HealthConfigError(`environment variable ALERT_TOPIC_ARN="${alertTopicArn}" is not an ARN`);
  }
  const targetGroupArns = (env.SENSOR_TARGET_GROUP_ARNS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const arn of targetGroupArns) {
    if (!ARN.test(arn)) {
      throw new HealthConfigError(`environment variable SENSOR_TARGET_GROUP_ARNS: "${arn}" is not an ARN`);
    }
  }
  return {
    sensorLogGroup: required(
      env,
      "SENSOR_LOG_GROUP",
      "the CloudWatch Logs group the sensors' boot logs go to",
    ),
    alertTopicArn,
    autoScalingGroupName: required(env, "SENSOR_ASG_NAME", "the name of the sensor Auto Scaling group"),
    targetGroupArns,
    mirrorCoverage: {
      namespace: env.MIRROR_COVERAGE_NAMESPACE?.trim() || DEFAULT_MIRROR_COVERAGE_NAMESPACE,
      metricName: env.MIRROR_COVERAGE_METRIC?.trim() || DEFAULT_MIRROR_COVERAGE_METRIC,
      dimensions: dimensions(env, "MIRROR_COVERAGE_DIMENSIONS"),
    },
    summaryPeriodMinutes: positiveInt(env, "SUMMARY_PERIOD_MINUTES", DEFAULT_SUMMARY_PERIOD_MINUTES, 24 * 60),
    logLinesInMessage: positiveInt(
      env,
      "LOG_LINES_IN_MESSAGE",
      DEFAULT_LOG_LINES_IN_MESSAGE,
      MAX_LOG_LINES_IN_MESSAGE,
    ),
    abandonFailedBoots: bool(env, "ABANDON_FAILED_BOOTS", true),
  };
}
