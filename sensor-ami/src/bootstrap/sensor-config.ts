// Step write-config's content: the sensor's configuration file (contracts/config/sensor-file.ts) from the
// validated parameters and the instance's facts, the systemd drop-in that caps the unit's memory, and the
// PCAP ring's size. The file is checked with parseSensorFile before it is written, so a boot never
// starts the sensor on a file the sensor would refuse.

import { join } from "node:path";
import type { SensorConfig } from "../../../contracts/config/index.js";
import { parseSensorFile, SensorFileError } from "../../../contracts/config/sensor-file.js";
import {
  HEALTH_PORT,
  SENSOR_LOG_DIR,
  SENSOR_METRICS_FILE,
  SENSOR_PCAP_DIR,
  SENSOR_SPOOL_DIR,
  SENSOR_VNI_MAP_DIR,
  SENSOR_VNI_MAP_FILE,
  SENSOR_ZEEK_LOG_DIR,
  type SensorMemoryPlan,
  VXLAN_PORT,
} from "../../../contracts/host/index.js";
import { BootStepError } from "./errors.js";

/** The drop-in that sets the unit's MemoryMax from the memory plan. */
export const MEMORY_DROP_IN = "/etc/systemd/system/spanless-sensor.service.d/50-memory.conf";
/** Share of the PCAP directory's free disk the ring may fill (the rest: logs, spool, the OS). */
export const PCAP_DISK_SHARE = 0.5;
/** Below this the ring is not worth having: PCAP stays off. */
export const PCAP_MIN_GB = 1;
/** The stack's bucket policy grants the sensors this prefix (contracts/host BootSettings.pcapBucket). */
export const PCAP_S3_PREFIX = "pcaps";
const GIB = 1024 ** 3;

export interface SensorFileInput {
  config: SensorConfig;
  instanceId: string;
  availabilityZone: string;
  memory: SensorMemoryPlan;
  /** Bytes free on the PCAP directory's file system. */
  pcapDiskAvailableBytes: number;
  pcapBucket: string | undefined;
  /** The VNI map's S3 object (`s3://bucket/key`, the boot line's --vni-map); the sensor keeps a copy. */
  vniMapS3?: string;
  /** An S3-compatible endpoint for vniMapS3 (tests). */
  vniMapS3Endpoint?: string;
  /** Prefix of every host path ("/" on a host; a scratch directory in tests). */
  at: (path: string) => string;
  listen?: string;
  healthPort?: number;
  /** A CA file for a collector whose certificate is not from a public CA. */
  collectorCaFile?: string;
}

/** The ring's size in GB (one decimal), or undefined when the disk is too small for one. */
export function pcapRingGB(availableBytes: number): number | undefined {
  const gb = Math.floor(((availableBytes * PCAP_DISK_SHARE) / GIB) * 10) / 10;
  return gb >= PCAP_MIN_GB ? gb : undefined;
}

/** The file's JSON text (2-space indented, newline at the end); BootStepError if the schema refuses it. */
export function sensorFileText(i: SensorFileInput): { text: string; pcapGB: number | undefined } {
  const c = i.config;
  const pcapGB = pcapRingGB(i.pcapDiskAvailableBytes);
  const file: Record<string, unknown> = {
    listen: i.listen ?? `0.0.0.0:${VXLAN_PORT}`,
    out: i.at(SENSOR_ZEEK_LOG_DIR),
    // The load balancer's health check reaches the instance's address, so every address.
    healthHost: "0.0.0.0",
    healthPort: i.healthPort ?? HEALTH_PORT,
    workers: "auto",
    memoryBudgetMB: i.memory.budgetMB,
    metricsFile: i.at(SENSOR_METRICS_FILE),
    instanceId: i.instanceId,
    availabilityZone: i.availabilityZone,
    sensorId: i.instanceId,
    collectorUrl: c.collectorUrl,
    pushToken: `${c.pushToken.label}:${c.pushToken.secret}`,
    spoolDir: i.at(SENSOR_SPOOL_DIR),
    ...(i.collectorCaFile === undefined ? {} : { collectorCaFile: i.collectorCaFile }),
    ...(c.proxyUrl === null ? {} : { proxy: c.proxyUrl }),
    ...(c.osSensorHmac === null ? {} : { osSensorHmac: c.osSensorHmac }),
    // The sensor fetches the map into its own directory (writable by the unit) and reads it from there.
    ...(i.vniMapS3 === undefined
      ? {}
      : {
          vniMapS3: i.vniMapS3,
          vniMap: i.at(SENSOR_VNI_MAP_FILE),
          ...(i.vniMapS3Endpoint === undefined ? {} : { vniMapS3Endpoint: i.vniMapS3Endpoint }),
        }),
    ...(pcapGB === undefined
      ? {}
      : {
          pcapMaxGB: pcapGB,
          pcapDir: i.at(SENSOR_PCAP_DIR),
          ...(i.pcapBucket === undefined ? {} : { pcapS3: `s3://${i.pcapBucket}/${PCAP_S3_PREFIX}` }),
        }),
  };
  try {
    parseSensorFile(file);
  } catch (error) {
    if (!(error instanceof SensorFileError)) throw error;
    // The problems name fields and rules, never values.
    throw new BootStepError(
      "write-config",
      `the sensor configuration would be refused: ${error.problems.join("; ")}`,
      {
        cause: error,
      },
    );
  }
  return { text: `${JSON.stringify(file, null, 2)}\n`, pcapGB };
}

export function memoryDropInText(memory: SensorMemoryPlan): string {
  return [
    "# Written by spanless bootstrap from the instance's memory (contracts/host sensorMemoryPlan):",
    `# the sensor's memory budget is ${memory.budgetMB} MiB; this is the hard wall above it.`,
    "[Service]",
    `MemoryMax=${memory.memoryMaxMB}M`,
    "",
  ].join("\n");
}

/** Directories the sensor writes (created by the image; made here too when missing). */
export function sensorDirectories(at: (path: string) => string): string[] {
  // The log directory itself too: the EMF metrics file sits in it, beside zeek/.
  return [SENSOR_LOG_DIR, SENSOR_ZEEK_LOG_DIR, SENSOR_SPOOL_DIR, SENSOR_PCAP_DIR, SENSOR_VNI_MAP_DIR].map(at);
}

export const underRoot =
  (root: string) =>
  (path: string): string =>
    root === "/" ? path : join(root, path);
