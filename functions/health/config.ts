// The health Lambda's configuration, from environment variables (zod, ../shared/env.ts; documented in
// README.md). A bad value is reported with the variable's name and the expected form.
import { z } from "zod";
import { commaList, type Env, envFlag, parseEnv } from "../shared/env.js";
import { METRICS_NAMESPACE, serviceName } from "../shared/telemetry.js";
import { HealthConfigError } from "./errors.js";

/**
 * The mirror coverage metric mirror-on-launch's reconciler publishes (its METRIC.coverage, with the
 * `service` dimension Powertools adds); the defaults below read exactly that metric.
 */
const DEFAULT_MIRROR_COVERAGE_NAMESPACE = METRICS_NAMESPACE;
const DEFAULT_MIRROR_COVERAGE_METRIC = "MirrorCoveragePercent";
const DEFAULT_MIRROR_COVERAGE_DIMENSIONS = `service=${serviceName("mirror-on-launch")}`;
/** Matches the default schedule (rate(15 minutes)); the summary looks back this far. */
const DEFAULT_SUMMARY_PERIOD_MINUTES = 15;
/** Enough lines to see the failing command and its error without flooding a phone screen. */
const DEFAULT_LOG_LINES_IN_MESSAGE = 20;
const MAX_LOG_LINES_IN_MESSAGE = 100;

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

const ARN = /^arn:aws[a-z-]*:/;
const required = (what: string) => z.string({ message: `is required: ${what}` }).trim();
const arn = (what: string) => z.string().regex(ARN, { message: `must be an ARN (${what})` });
const wholeNumber = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int({ message: `must be a whole number from 1 to ${max}` })
    .min(1, { message: `must be a whole number from 1 to ${max}` })
    .max(max, { message: `must be a whole number from 1 to ${max}` })
    .default(fallback);

/** `Name=Value,Name=Value` → CloudWatch dimensions; `none` for a metric without dimensions. */
const dimensions = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) =>
      (text.trim().toLowerCase() === "none" ? "" : text)
        .split(",")
        .map((pair) => pair.trim())
        .filter((pair) => pair.length > 0)
        .map((pair) => {
          const eq = pair.indexOf("=");
          const key = pair.slice(0, eq).trim();
          const value = pair.slice(eq + 1).trim();
          if (eq <= 0 || !key || !value) {
            ctx.addIssue({
              code: "custom",
              message: `"${pair}" is not Name=Value (expected e.g. "Vpc=vpc-0abc,Mode=nlb")`,
            });
          }
          return { Name: key, Value: value };
        }),
    );

const envSchema = z.object({
  SENSOR_LOG_GROUP: required("the CloudWatch Logs group the sensors' boot logs go to"),
  ALERT_TOPIC_ARN: required("the ARN of the on-call SNS topic").pipe(arn("the on-call SNS topic")),
  SENSOR_ASG_NAME: required("the name of the sensor Auto Scaling group"),
  SENSOR_TARGET_GROUP_ARNS: commaList.pipe(z.array(arn("every target group"))),
  MIRROR_COVERAGE_NAMESPACE: z.string().trim().default(DEFAULT_MIRROR_COVERAGE_NAMESPACE),
  MIRROR_COVERAGE_METRIC: z.string().trim().default(DEFAULT_MIRROR_COVERAGE_METRIC),
  MIRROR_COVERAGE_DIMENSIONS: dimensions(DEFAULT_MIRROR_COVERAGE_DIMENSIONS),
  SUMMARY_PERIOD_MINUTES: wholeNumber(DEFAULT_SUMMARY_PERIOD_MINUTES, 24 * 60),
  LOG_LINES_IN_MESSAGE: wholeNumber(DEFAULT_LOG_LINES_IN_MESSAGE, MAX_LOG_LINES_IN_MESSAGE),
  ABANDON_FAILED_BOOTS: envFlag(true),
});

export function parseConfig(env: Env = process.env): HealthConfig {
  const e = parseEnv(envSchema, env, { what: "health environment", error: HealthConfigError });
  return {
    sensorLogGroup: e.SENSOR_LOG_GROUP,
    alertTopicArn: e.ALERT_TOPIC_ARN,
    autoScalingGroupName: e.SENSOR_ASG_NAME,
    targetGroupArns: e.SENSOR_TARGET_GROUP_ARNS,
    mirrorCoverage: {
      namespace: e.MIRROR_COVERAGE_NAMESPACE,
      metricName: e.MIRROR_COVERAGE_METRIC,
      dimensions: e.MIRROR_COVERAGE_DIMENSIONS,
    },
    summaryPeriodMinutes: e.SUMMARY_PERIOD_MINUTES,
    logLinesInMessage: e.LOG_LINES_IN_MESSAGE,
    abandonFailedBoots: e.ABANDON_FAILED_BOOTS,
  };
}
