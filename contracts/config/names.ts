// The SSM Parameter Store naming convention for sensor configuration. The instance-refresh Lambda,
// the stack and the sensor's boot script all derive parameter names from here, so a rename happens
// in exactly one place. Convention: `/spanless/<stage>/<key>`, e.g. `/spanless/prod/collector-url`.

/** Every configuration key a sensor reads, in the order messages and user data list them. */
export const SENSOR_CONFIG_KEYS = ["collector-url", "push-token", "proxy", "os-sensor-hmac"] as const;
export type SensorConfigKey = (typeof SENSOR_CONFIG_KEYS)[number];

export interface SensorConfigKeySpec {
  /** A missing required parameter blocks every sensor launch; a missing optional one means "none". */
  required: boolean;
  /** Secret values must be SecureString parameters and are never echoed in any message or log. */
  secret: boolean;
  /** Human description used in messages. */
  description: string;
}

export const SENSOR_CONFIG_SPEC: Readonly<Record<SensorConfigKey, SensorConfigKeySpec>> = {
  "collector-url": { required: true, secret: false, description: "the https URL sensors send metadata to" },
  "push-token": { required: true, secret: true, description: "the collector push token (label:secret)" },
  proxy: { required: false, secret: true, description: "the outbound HTTP(S) proxy URL, or none" },
  "os-sensor-hmac": { required: false, secret: true, description: "the osSensor HMAC key, or none" },
};

export const DEFAULT_PARAMETER_ROOT = "/spanless";

/** Stage names become one path segment: short, lowercase, DNS-label-like so they fit ASG and topic names too. */
export const STAGE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

// SSM limits (Parameter Store "Creating parameters" requirements): names use a-zA-Z0-9_.-/ only, at most
// 1011 characters including the prefix, at most 15 levels, and may not start with aws or ssm.
export const SSM_PARAMETER_NAME_MAX_LENGTH = 1011;
export const SSM_PARAMETER_MAX_DEPTH = 15;
const SSM_NAME_CHARACTERS = /^[A-Za-z0-9_.\-/]+$/;
const SSM_RESERVED_ROOT = /^\/?(aws|ssm)/i;

export class ParameterNamingError extends Error {
  override readonly name = "ParameterNamingError";
}

/** `/spanless/<stage>` for a stage name; throws ParameterNamingError with a fix hint for a bad stage. */
export function sensorConfigPrefixForStage(stage: string, root = DEFAULT_PARAMETER_ROOT): string {
  if (!STAGE_PATTERN.test(stage)) {
    throw new ParameterNamingError(
      `stage "${stage}" is not a valid stage name: use 1-32 lowercase letters, digits or hyphens, ` +
        "starting and ending with a letter or digit (e.g. prod, dev-eu1)",
    );
  }
  return checkPrefix(`${root}/${stage}`);
}

/** Checks a custom prefix (e.g. `/acme/sensors/prod`) against SSM's naming rules. */
export function checkPrefix(prefix: string): string {
  const problems: string[] = [];
  if (!prefix.startsWith("/")) problems.push('must start with "/"');
  if (prefix.endsWith("/")) problems.push('must not end with "/"');
  if (prefix.includes("//")) problems.push('must not contain "//"');
  if (!SSM_NAME_CHARACTERS.test(prefix)) problems.push("may only contain letters, digits and _ . - /");
  if (SSM_RESERVED_ROOT.test(prefix)) problems.push('must not start with "aws" or "ssm" (reserved by AWS)');
  const depth = prefix.split("/").length - 1 + 1; // the key adds one more level
  if (depth > SSM_PARAMETER_MAX_DEPTH) problems.push(`is ${depth} levels deep with the key; SSM allows 15`);
  const longestKey = Math.max(...SENSOR_CONFIG_KEYS.map((k) => k.length));
  if (prefix.length + 1 + longestKey > SSM_PARAMETER_NAME_MAX_LENGTH) {
    problems.push(`is too long: names may have at most ${SSM_PARAMETER_NAME_MAX_LENGTH} characters`);
  }
  if (problems.length > 0) {
    throw new ParameterNamingError(`parameter prefix "${prefix}" ${problems.join("; ")}`);
  }
  return prefix;
}

export type SensorParameterNames = Readonly<Record<SensorConfigKey, string>>;

/** The full parameter name of every key under a prefix. */
export function sensorParameterNames(prefix: string): SensorParameterNames {
  checkPrefix(prefix);
  const names = {} as Record<SensorConfigKey, string>;
  for (const key of SENSOR_CONFIG_KEYS) names[key] = `${prefix}/${key}`;
  return names;
}

/** Which key a parameter name (without a `:version` selector) belongs to, or undefined if it is not ours. */
export function keyForParameterName(
  names: SensorParameterNames,
  parameterName: string,
): SensorConfigKey | undefined {
  // EventBridge and the console sometimes give names without the leading slash.
  const normalized = parameterName.startsWith("/") ? parameterName : `/${parameterName}`;
  return SENSOR_CONFIG_KEYS.find((key) => names[key] === normalized);
}
