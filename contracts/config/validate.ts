// Validates a whole sensor configuration as read from Parameter Store and returns EVERY problem at once,
// so an operator fixes all parameters in one go instead of one failed rollout per mistake.
import type { z } from "zod";
import {
  SENSOR_CONFIG_KEYS,
  SENSOR_CONFIG_SPEC,
  type SensorConfigKey,
  type SensorParameterNames,
} from "./names.js";
import {
  collectorUrlSchema,
  NONE_KEYWORD,
  osSensorHmacSchema,
  type ProblemCode,
  proxySchema,
  pushTokenSchema,
  type RuleIssueParams,
} from "./rules.js";

export type ParameterType = "String" | "StringList" | "SecureString";

/** One parameter as fetched from SSM: the value plus what GetParameters tells about it. */
export interface ParameterSnapshot {
  value: string;
  /** Absent when the caller does not know (e.g. the boot script reading a pinned file). */
  type?: ParameterType;
  version?: number;
}

/** What was found for each key; a missing key means the parameter does not exist (GetParameters InvalidParameters). */
export type SensorConfigInput = Partial<Record<SensorConfigKey, ParameterSnapshot>>;

export interface ConfigProblem {
  key: SensorConfigKey;
  /** Full SSM parameter name, so the operator knows exactly what to edit. */
  parameter: string;
  code: ProblemCode;
  /** What is wrong and how to fix it; never contains the value. */
  message: string;
}

export interface PushToken {
  label: string;
  secret: string;
}

/** The parsed configuration a sensor runs with. `null` means the optional feature is switched off. */
export interface SensorConfig {
  collectorUrl: string;
  pushToken: PushToken;
  proxyUrl: string | null;
  osSensorHmac: string | null;
}

export type ConfigValidation = { ok: true; config: SensorConfig } | { ok: false; problems: ConfigProblem[] };

const VALUE_SCHEMAS: Readonly<Record<SensorConfigKey, z.ZodType<string>>> = {
  "collector-url": collectorUrlSchema,
  "push-token": pushTokenSchema,
  proxy: proxySchema,
  "os-sensor-hmac": osSensorHmacSchema,
};

/** `name: message`, the one-line form used in notifications and logs. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.parameter}: ${problem.message}`;
}

function typeProblems(
  key: SensorConfigKey,
  snapshot: ParameterSnapshot,
): Array<Omit<ConfigProblem, "parameter">> {
  const out: Array<Omit<ConfigProblem, "parameter">> = [];
  if (snapshot.type === "StringList") {
    out.push({
      key,
      code: "string-list",
      message:
        "is a StringList; recreate it as a SecureString (or String for the collector URL) holding one value",
    });
  }
  const carriesCredentials = key === "proxy" && /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(snapshot.value);
  const mustBeSecure = key === "push-token" || key === "os-sensor-hmac" || carriesCredentials;
  if (mustBeSecure && snapshot.type === "String" && snapshot.value.toLowerCase() !== NONE_KEYWORD) {
    out.push({
      key,
      code: "not-secure-string",
      message:
        "holds a secret but is a plain String parameter, readable by anyone with ssm:GetParameter and " +
        "shown in the console; delete it and recreate it as a SecureString (KMS-encrypted)",
    });
  }
  return out;
}

// Defence in depth: even if a future rule's message accidentally interpolated the value, it never leaves here.
function redact(message: string, value: string): string {
  const MIN_REDACTABLE_LENGTH = 4;
  if (value.length < MIN_REDACTABLE_LENGTH) return message;
  return message.split(value).join("[redacted]");
}

/**
 * Validates every key against its rules. Missing required parameters, type mistakes and value problems are all
 * reported together, in key order. Pure and synchronous: the sensor, its boot script and the Lambda share it.
 */
export function validateSensorConfig(
  input: SensorConfigInput,
  names: SensorParameterNames,
): ConfigValidation {
  const problems: ConfigProblem[] = [];
  for (const key of SENSOR_CONFIG_KEYS) {
    const snapshot = input[key];
    const parameter = names[key];
    if (snapshot === undefined) {
      if (SENSOR_CONFIG_SPEC[key].required) {
        problems.push({
          key,
          parameter,
          code: "missing",
          message:
            `does not exist, but it is required (${SENSOR_CONFIG_SPEC[key].description}); ` +
            "create it as a SecureString, or restore it from its parameter history",
        });
      }
      continue;
    }
    // Callers outside TypeScript (the boot script reading JSON) may hand over a non-string; report, never throw.
    if (typeof snapshot.value !== "string") {
      problems.push({
        key,
        parameter,
        code: "not-text",
        message: "was not read as text; check how it was fetched",
      });
      continue;
    }
    for (const p of typeProblems(key, snapshot)) problems.push({ ...p, parameter });
    const parsed = VALUE_SCHEMAS[key].safeParse(snapshot.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const params = (issue as { params?: RuleIssueParams }).params;
        problems.push({
          key,
          parameter,
          code: params?.code ?? "not-text",
          message: redact(issue.message, snapshot.value),
        });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: toSensorConfig(input) };
}

function optional(snapshot: ParameterSnapshot | undefined): string | null {
  if (snapshot === undefined || snapshot.value.toLowerCase() === NONE_KEYWORD) return null;
  return snapshot.value;
}

// Only called once every rule passed, so the required values exist and split cleanly.
function toSensorConfig(input: SensorConfigInput): SensorConfig {
  const token = input["push-token"]!.value;
  const colon = token.indexOf(":");
  const proxy = optional(input.proxy);
  return {
    collectorUrl: new URL(input["collector-url"]!.value).href,
    pushToken: { label: token.slice(0, colon), secret: token.slice(colon + 1) },
    proxyUrl: proxy === null ? null : new URL(proxy).href,
    osSensorHmac: optional(input["os-sensor-hmac"]),
  };
}
