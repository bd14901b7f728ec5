// What the image, `spanless bootstrap` and the stack agree on about a sensor host: where things are
// installed, which user runs the sensor, which ports it listens on, where its logs go and what the
// launch template's user data looks like. The image is baked before any stack exists and serves every
// stage, so nothing here depends on a stage; stage-specific values (log group, Auto Scaling group,
// lifecycle hook) reach the host through the user data's command line.
import {
  type ConfigPins,
  PIN_BLOCK_BEGIN,
  PIN_BLOCK_END,
  parsePinBlock,
  renderPinBlock,
} from "../config/pins.js";
import { S3_OBJECT_URL_PATTERN } from "../config/sensor-file.js";

import { SENSOR_COMMAND, USER_DATA_LOG } from "./paths.js";

/** What the stack puts on the boot command line (none of it secret). */
export interface BootSettings {
  /** CloudWatch Logs group for the userdata, sensor and metrics streams. */
  logGroup: string;
  /** Auto Scaling group and launch lifecycle hook the boot completes (CONTINUE / ABANDON). */
  autoScalingGroup: string;
  lifecycleHook: string;
  /** S3 bucket for the PCAP ring's uploads (`pcaps/` prefix); absent: PCAPs stay on the instance. */
  pcapBucket?: string;
  /**
   * The VNI map's S3 object, `s3://<bucket>/<key>` (the mirror-on-launch reconciler's); the sensor fetches
   * it into its local copy. Absent: records carry no instance enrichment.
   */
  vniMap?: string;
}

export class UserDataFormatError extends Error {
  override readonly name = "UserDataFormatError";
}

const BOOT_LINE_PREFIX = `exec ${SENSOR_COMMAND} bootstrap`;
const SAFE_VALUE = /^[A-Za-z0-9_.\-/#:]{1,512}$/;

function checkSetting(field: keyof BootSettings, value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new UserDataFormatError(
      `boot setting ${field} "${value}" must be 1-512 characters of A-Za-z0-9_.-/#: (it is written unquoted into user data)`,
    );
  }
  if (field === "vniMap" && !S3_OBJECT_URL_PATTERN.test(value)) {
    throw new UserDataFormatError(
      `boot setting vniMap "${value}" must be "s3://<bucket>/<key>" (one object: a valid bucket name and a key)`,
    );
  }
  return value;
}

/**
 * The launch template's user data: a shell script that holds the pin block (which the instance-refresh
 * function rewrites) and does nothing but hand over to `spanless bootstrap`, which reads the pins back
 * from the instance metadata's copy of this script, so the script never exports anything.
 */
export function renderSensorUserData(pins: ConfigPins, settings: BootSettings): string {
  const args = [
    `--log-group ${checkSetting("logGroup", settings.logGroup)}`,
    `--auto-scaling-group ${checkSetting("autoScalingGroup", settings.autoScalingGroup)}`,
    `--lifecycle-hook ${checkSetting("lifecycleHook", settings.lifecycleHook)}`,
  ];
  if (settings.pcapBucket !== undefined)
    args.push(`--pcap-bucket ${checkSetting("pcapBucket", settings.pcapBucket)}`);
  if (settings.vniMap !== undefined) args.push(`--vni-map ${checkSetting("vniMap", settings.vniMap)}`);
  return [
    "#!/bin/bash",
    "# Spanless sensor boot. Everything is in the image; this only names the pinned configuration",
    "# and hands over to the boot step runner, which logs SPANLESS-BOOT markers to",
    `# ${USER_DATA_LOG} and completes the launch lifecycle action.`,
    renderPinBlock(pins).trimEnd(),
    `${BOOT_LINE_PREFIX} ${args.join(" ")} >>${USER_DATA_LOG} 2>&1`,
    "",
  ].join("\n");
}

export interface SensorUserData {
  pins: ConfigPins;
  settings: BootSettings;
}

/** Reads back what renderSensorUserData wrote (the boot script reads its pins this way). */
export function parseSensorUserData(userData: string): SensorUserData {
  const pins = parsePinBlock(userData);
  if (pins === undefined) {
    throw new UserDataFormatError(
      `user data has no complete pin block (${PIN_BLOCK_BEGIN} … ${PIN_BLOCK_END}); the stack renders it`,
    );
  }
  const line = userData.split("\n").find((l) => l.startsWith(BOOT_LINE_PREFIX));
  if (line === undefined) throw new UserDataFormatError(`user data has no "${BOOT_LINE_PREFIX}" line`);
  // The flags end where the output redirection begins.
  const words = line
    .slice(BOOT_LINE_PREFIX.length)
    .replace(/\s>>.*$/, "")
    .split(/\s+/)
    .filter(Boolean);
  const optionalFlag = (name: string): string | undefined => {
    const at = words.indexOf(`--${name}`);
    return at < 0 ? undefined : flag(name);
  };
  const flag = (name: string): string => {
    const at = words.indexOf(`--${name}`);
    const value = at < 0 ? undefined : words[at + 1];
    if (value === undefined || value.startsWith("-")) {
      throw new UserDataFormatError(`user data's bootstrap line has no --${name} value`);
    }
    return value;
  };
  const pcapBucket = optionalFlag("pcap-bucket");
  const vniMap = optionalFlag("vni-map");
  return {
    pins,
    settings: {
      logGroup: flag("log-group"),
      autoScalingGroup: flag("auto-scaling-group"),
      lifecycleHook: flag("lifecycle-hook"),
      ...(pcapBucket === undefined ? {} : { pcapBucket }),
      ...(vniMap === undefined ? {} : { vniMap: checkSetting("vniMap", vniMap) }),
    },
  };
}
