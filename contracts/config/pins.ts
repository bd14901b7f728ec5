// Pinned parameter references in launch-template user data. The instance-refresh Lambda writes a block of
// `SPANLESS_CONFIG_<KEY>=<name>:<version>` lines; the boot script reads each value with
// `ssm get-parameter --name <name>:<version> --with-decryption`. Pinning makes a launch-template version mean
// one exact configuration, so auto-rollback to the previous version also rolls back the configuration, and a
// later Parameter Store edit cannot silently change what an already-validated version launches with.
import { SENSOR_CONFIG_KEYS, type SensorConfigKey, type SensorParameterNames } from "./names.js";

export const PIN_BLOCK_BEGIN =
  "# >>> spanless-config-pins (managed by the instance-refresh function; edits are overwritten) >>>";
export const PIN_BLOCK_END = "# <<< spanless-config-pins <<<";
/** Written for an optional parameter that does not exist: the sensor treats it as switched off. */
export const PIN_ABSENT = "none";

export interface PinnedReference {
  name: string;
  version: number;
}

/** key → pinned reference, or null when the (optional) parameter does not exist. */
export type ConfigPins = Readonly<Record<SensorConfigKey, PinnedReference | null>>;

/** Why user data without a pin block cannot be rolled out (the stack renders the initial block). */
export const MISSING_PIN_BLOCK_MESSAGE =
  "the launch template's user data has no spanless-config-pins block; the stack must render one " +
  "(see contracts/config/README.md) so the configuration can be pinned";

export class PinFormatError extends Error {
  override readonly name = "PinFormatError";
}

const PIN_REFERENCE = /^(\/?[A-Za-z0-9_.\-/]+):([1-9][0-9]{0,9})$/;

export function formatPinnedReference(pin: PinnedReference): string {
  return `${pin.name}:${pin.version}`;
}

export function parsePinnedReference(text: string): PinnedReference {
  const match = PIN_REFERENCE.exec(text);
  if (!match) {
    throw new PinFormatError(
      `"${text}" is not a pinned parameter reference; expected /path/name:<version number>`,
    );
  }
  return { name: match[1], version: Number(match[2]) };
}

export function pinVariableName(key: SensorConfigKey): string {
  return `SPANLESS_CONFIG_${key.toUpperCase().replaceAll("-", "_")}`;
}

/** The block's text, one line per key in SENSOR_CONFIG_KEYS order, ending in a newline. */
export function renderPinBlock(pins: ConfigPins): string {
  const lines = [PIN_BLOCK_BEGIN];
  for (const key of SENSOR_CONFIG_KEYS) {
    const pin = pins[key];
    lines.push(`${pinVariableName(key)}=${pin === null ? PIN_ABSENT : formatPinnedReference(pin)}`);
  }
  lines.push(PIN_BLOCK_END);
  return `${lines.join("\n")}\n`;
}

function blockBounds(userData: string): { start: number; end: number } | undefined {
  const start = userData.indexOf(PIN_BLOCK_BEGIN);
  if (start < 0) return undefined;
  const endMarker = userData.indexOf(PIN_BLOCK_END, start);
  if (endMarker < 0) return undefined;
  let end = endMarker + PIN_BLOCK_END.length;
  if (userData[end] === "\n") end += 1;
  return { start, end };
}

/** Whether the user data has a complete pin block (the stack renders an initial one). */
export function hasPinBlock(userData: string): boolean {
  return blockBounds(userData) !== undefined;
}

/**
 * Reads the pins from user data. Returns undefined when there is no block; throws PinFormatError when a block
 * exists but a line is malformed or a key is missing (a hand edit), because guessing would launch the wrong config.
 */
export function parsePinBlock(userData: string): ConfigPins | undefined {
  const bounds = blockBounds(userData);
  if (!bounds) return undefined;
  const body = userData.slice(bounds.start + PIN_BLOCK_BEGIN.length, bounds.end).replace(PIN_BLOCK_END, "");
  const values = new Map<string, string>();
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) throw new PinFormatError(`pin block line "${line}" is not VARIABLE=value`);
    values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const pins = {} as Record<SensorConfigKey, PinnedReference | null>;
  for (const key of SENSOR_CONFIG_KEYS) {
    const value = values.get(pinVariableName(key));
    if (value === undefined) throw new PinFormatError(`pin block has no ${pinVariableName(key)} line`);
    pins[key] = value === PIN_ABSENT ? null : parsePinnedReference(value);
  }
  return pins;
}

/** Replaces the existing block with the given pins; throws PinFormatError when the user data has no block. */
export function replacePinBlock(userData: string, pins: ConfigPins): string {
  const bounds = blockBounds(userData);
  if (!bounds) {
    throw new PinFormatError(MISSING_PIN_BLOCK_MESSAGE);
  }
  return userData.slice(0, bounds.start) + renderPinBlock(pins) + userData.slice(bounds.end);
}

/** Pins whose reference differs between two pin sets (what a rollout changes), in key order. */
export function changedPins(before: ConfigPins | undefined, after: ConfigPins): SensorConfigKey[] {
  return SENSOR_CONFIG_KEYS.filter((key) => {
    const a = before?.[key] ?? null;
    const b = after[key];
    return a?.name !== b?.name || a?.version !== b?.version;
  });
}

/** Pins for the given versions; names come from the naming convention so they always match the stage. */
export function pinsFor(
  names: SensorParameterNames,
  versions: Partial<Record<SensorConfigKey, number>>,
): ConfigPins {
  const pins = {} as Record<SensorConfigKey, PinnedReference | null>;
  for (const key of SENSOR_CONFIG_KEYS) {
    const version = versions[key];
    pins[key] = version === undefined ? null : { name: names[key], version };
  }
  return pins;
}
