// The boot-complete record: written once the launch was continued, so a later run on the same instance
// (a reboot, or cloud-init configured to run user data on every boot) re-validates and keeps the
// sensor running but does not complete the lifecycle action again. Keyed by instance ID: an image
// made from a running sensor carries the file, and a new instance from it must still complete its own
// launch. Holds no secret: pins are names and versions.

import { z } from "zod";
import {
  type ConfigPins,
  formatPinnedReference,
  SENSOR_CONFIG_KEYS,
} from "../../../contracts/config/index.js";
import { SENSOR_STATE_DIR } from "../../../contracts/host/index.js";
import { readIfExists, writeFileAtomic } from "./files.js";

export const BOOT_COMPLETE_FILE = `${SENSOR_STATE_DIR}/boot-complete.json`;

const recordSchema = z.object({
  instanceId: z.string(),
  completedAt: z.string(),
  pins: z.record(z.string(), z.string()),
});

export type BootCompleteRecord = z.infer<typeof recordSchema>;

export function pinsRecord(pins: ConfigPins): Record<string, string> {
  return Object.fromEntries(
    SENSOR_CONFIG_KEYS.map((key) => [key, pins[key] === null ? "none" : formatPinnedReference(pins[key]!)]),
  );
}

/** The record for this instance, or undefined (none, another instance's, or unreadable: treated as none). */
export function readBootComplete(path: string, instanceId: string): BootCompleteRecord | undefined {
  const text = readIfExists(path);
  if (text === undefined) return undefined;
  try {
    const record = recordSchema.parse(JSON.parse(text));
    return record.instanceId === instanceId ? record : undefined;
  } catch {
    return undefined;
  }
}

export function writeBootComplete(path: string, instanceId: string, pins: ConfigPins, now: Date): void {
  const record: BootCompleteRecord = { instanceId, completedAt: now.toISOString(), pins: pinsRecord(pins) };
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o644);
}

/** Whether the pins differ from the record's. */
export function pinsChanged(record: BootCompleteRecord, pins: ConfigPins): boolean {
  const now = pinsRecord(pins);
  return SENSOR_CONFIG_KEYS.some((key) => record.pins[key] !== now[key]);
}
