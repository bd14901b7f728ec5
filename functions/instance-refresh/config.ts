// Reads and checks the function's environment (zod, ../shared/env.ts) once per cold start. A bad value fails
// loudly with the variable name and what is expected, instead of surfacing later as an odd AWS error.
import { z } from "zod";
import { checkPrefix, sensorConfigPrefixForStage } from "../../contracts/config/index.js";
import { commaList, type Env, envFlag, parseEnv } from "../shared/env.js";
import { SettingsError } from "./errors.js";
import type { Settings } from "./types.js";

const DEFAULT_DEBOUNCE_WINDOW_SECONDS = 120;
const MAX_DEBOUNCE_WINDOW_SECONDS = 3600;
/** A trickle of changes may postpone a rollout by at most this many windows. */
const MAX_DEBOUNCE_WINDOWS = 5;
/** StartInstanceRefresh accepts at most 10 alarms in AlarmSpecification. */
const MAX_REFRESH_ALARMS = 10;
/** RefreshPreferences.InstanceWarmup upper bound we accept (AWS allows larger; an hour is already extreme). */
const MAX_INSTANCE_WARMUP_SECONDS = 3600;

const envSchema = z.object({
  SPANLESS_STAGE: z.string({ message: "is required (e.g. prod)" }),
  CONFIG_PARAMETER_PREFIX: z.string().optional(),
  SENSOR_ASG_NAME: z.string({ message: "is required: the sensors' Auto Scaling group name" }).max(255),
  ROLLOUT_STATE_TABLE: z
    .string({ message: "is required: the DynamoDB table holding rollout state" })
    .min(3, "must be at least 3 characters (a DynamoDB table name)")
    .max(255),
  ONCALL_TOPIC_ARN: z
    .string({ message: "is required: the on-call SNS topic ARN" })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN"),
  DEBOUNCE_WINDOW_SECONDS: z.coerce
    .number()
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_DEBOUNCE_WINDOW_SECONDS)
    .default(DEFAULT_DEBOUNCE_WINDOW_SECONDS),
  REFRESH_ALARM_NAMES: commaList.refine(
    (names) => names.length <= MAX_REFRESH_ALARMS,
    `lists more than ${MAX_REFRESH_ALARMS} alarms`,
  ),
  CROSS_ZONE_ENABLED: envFlag(false),
  CONFIG_PARAMETER_LABEL: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be an SSM label (letters, digits, _ . -)")
    .refine((l) => !/^(aws|ssm)/i.test(l) && !/^\d/.test(l), "must not start with aws, ssm or a digit")
    .optional(),
  INSTANCE_WARMUP_SECONDS: z.coerce.number().int().min(0).max(MAX_INSTANCE_WARMUP_SECONDS).optional(),
});

const WHAT = "instance-refresh environment";

export function parseConfig(env: Env): Settings {
  const e = parseEnv(envSchema, env, { what: WHAT, error: SettingsError });
  let parameterPrefix: string;
  try {
    parameterPrefix = e.CONFIG_PARAMETER_PREFIX
      ? checkPrefix(e.CONFIG_PARAMETER_PREFIX)
      : sensorConfigPrefixForStage(e.SPANLESS_STAGE);
  } catch (cause) {
    const variable = e.CONFIG_PARAMETER_PREFIX ? "CONFIG_PARAMETER_PREFIX" : "SPANLESS_STAGE";
    const problem = `${variable}: ${(cause as Error).message}`;
    throw new SettingsError(`invalid ${WHAT}: ${problem}`, [problem], { cause });
  }
  const debounceWindowMs = e.DEBOUNCE_WINDOW_SECONDS * 1000;
  return {
    stage: e.SPANLESS_STAGE,
    parameterPrefix,
    asgName: e.SENSOR_ASG_NAME,
    stateTableName: e.ROLLOUT_STATE_TABLE,
    topicArn: e.ONCALL_TOPIC_ARN,
    debounceWindowMs,
    maxDebounceDelayMs: debounceWindowMs * MAX_DEBOUNCE_WINDOWS,
    alarmNames: e.REFRESH_ALARM_NAMES,
    crossZoneEnabled: e.CROSS_ZONE_ENABLED,
    parameterLabel: e.CONFIG_PARAMETER_LABEL,
    instanceWarmupSeconds: e.INSTANCE_WARMUP_SECONDS,
  };
}
