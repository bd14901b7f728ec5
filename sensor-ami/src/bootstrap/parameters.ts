// Reading the pinned parameters: SSM GetParameters with `name:version` selectors, twice. First without
// decryption (step fetch-config): it proves every pinned parameter and version exists and needs no KMS,
// so a missing parameter and a KMS denial are told apart. Then with decryption (step kms-decrypt):
// the values. Only names, versions and SSM's error names reach a reason; a value never does (even the
// undecrypted one is dropped at once).

import type { GetParametersCommandOutput, SSMClient } from "@aws-sdk/client-ssm";
import {
  type ConfigPins,
  formatPinnedReference,
  SENSOR_CONFIG_KEYS,
  SENSOR_CONFIG_SPEC,
  type SensorConfigInput,
  type SensorConfigKey,
  type SensorParameterNames,
} from "../../../contracts/config/index.js";
import { BootStepError } from "./errors.js";

/** Longest piece of an AWS error message kept in a reason (the marker itself is bounded too). */
const ERROR_MESSAGE_CHARS = 300;

export type ParameterType = "String" | "StringList" | "SecureString";

/** The pins of the keys that have one, as `name:version` selectors in key order. */
export function pinnedSelectors(pins: ConfigPins): Array<{ key: SensorConfigKey; selector: string }> {
  return SENSOR_CONFIG_KEYS.flatMap((key) => {
    const pin = pins[key];
    return pin === null ? [] : [{ key, selector: formatPinnedReference(pin) }];
  });
}

/**
 * Parameter names for messages: the pinned name of each key. A key without a pin (an optional one
 * switched off) has no parameter; its placeholder is never printed because nothing is checked for it.
 */
export function pinnedNames(pins: ConfigPins): SensorParameterNames {
  const names = {} as Record<SensorConfigKey, string>;
  for (const key of SENSOR_CONFIG_KEYS) names[key] = pins[key]?.name ?? `(${key}: not pinned)`;
  return names;
}

/** A required key pinned as `none` can never be read: the user data is wrong, not Parameter Store. */
export function checkRequiredPins(pins: ConfigPins): void {
  const unpinned = SENSOR_CONFIG_KEYS.filter((key) => SENSOR_CONFIG_SPEC[key].required && pins[key] === null);
  if (unpinned.length > 0) {
    throw new BootStepError(
      "fetch-config",
      `the pin block names no parameter for the required key(s) ${unpinned.join(", ")}: the parameter is missing ` +
        "(the stack renders the pin block; check that the parameters exist and redeploy)",
    );
  }
}

function awsErrorText(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const message = (e.message ?? String(error)).replace(/\s+/g, " ").slice(0, ERROR_MESSAGE_CHARS);
  return `${e.name ?? "Error"}: ${message}`;
}

function isAccessDenied(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return /AccessDenied|not authorized/i.test(`${e.name ?? ""} ${e.message ?? ""}`);
}

function isKmsProblem(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return /kms|InvalidKeyId/i.test(`${e.name ?? ""} ${e.message ?? ""}`);
}

/**
 * GetParameters for every pinned selector. Returns what SSM found, keyed by configuration key
 * (what validateSensorConfig takes); throws BootStepError for a missing parameter or version, and for
 * any refusal, with a reason the health function classifies (contracts/boot's cause rules).
 */
export async function readPinnedParameters(
  ssm: SSMClient,
  pins: ConfigPins,
  withDecryption: boolean,
): Promise<SensorConfigInput> {
  const { GetParametersCommand } = await import("@aws-sdk/client-ssm");
  const step = withDecryption ? "kms-decrypt" : "fetch-config";
  const wanted = pinnedSelectors(pins);
  let answer: GetParametersCommandOutput;
  try {
    answer = await ssm.send(
      new GetParametersCommand({ Names: wanted.map((w) => w.selector), WithDecryption: withDecryption }),
    );
  } catch (error) {
    const selectors = wanted.map((w) => w.selector).join(", ");
    if (withDecryption && isKmsProblem(error)) {
      throw new BootStepError(
        step,
        `KMS ${isAccessDenied(error) ? "AccessDenied" : "refused"} decrypting ${selectors}: ${awsErrorText(error)}`,
        { cause: error },
      );
    }
    if (isAccessDenied(error)) {
      throw new BootStepError(
        step,
        `GetParameters on ${selectors} AccessDenied (the instance role needs ssm:GetParameters on them): ${awsErrorText(error)}`,
        { cause: error },
      );
    }
    throw new BootStepError(step, `GetParameters on ${selectors} failed: ${awsErrorText(error)}`, {
      cause: error,
    });
  }
  const invalid = answer.InvalidParameters ?? [];
  if (invalid.length > 0) {
    throw new BootStepError(
      step,
      `InvalidParameters [${invalid.join(", ")}]: ParameterNotFound or ParameterVersionNotFound — the parameter or ` +
        "its pinned version does not exist in SSM Parameter Store",
    );
  }
  const input: SensorConfigInput = {};
  for (const { key } of wanted) {
    const pin = pins[key]!;
    const found = (answer.Parameters ?? []).find(
      (p) => normalize(p.Name) === normalize(pin.name) && p.Version === pin.version,
    );
    if (found === undefined) {
      throw new BootStepError(
        step,
        `parameter ${formatPinnedReference(pin)} is missing from the GetParameters answer (ParameterNotFound)`,
      );
    }
    input[key] = {
      // Without decryption a SecureString's value is ciphertext: only its existence and type count.
      value: withDecryption ? (found.Value ?? "") : "",
      ...(isParameterType(found.Type) ? { type: found.Type } : {}),
      version: pin.version,
    };
  }
  return input;
}

function normalize(name: string | undefined): string {
  return name === undefined ? "" : name.startsWith("/") ? name : `/${name}`;
}

function isParameterType(type: string | undefined): type is ParameterType {
  return type === "String" || type === "StringList" || type === "SecureString";
}
