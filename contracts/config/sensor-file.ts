// The live sensor's configuration file (`spanless sensor --config <file>`): JSON, written at first
// boot from the pinned SSM parameters by `spanless bootstrap` (mode 0600), or by hand for
// on-premises and local use. The SSM values are checked by the same rules as in Parameter Store
// (rules.ts); messages name the field and never contain a value (tokens and proxy credentials
// are secrets).

import { z } from "zod";
import {
  collectorUrlSchema,
  osSensorHmacSchema,
  proxySchema,
  pushTokenSchema,
  type RuleIssueParams,
} from "./rules.js";

/** The VXLAN port AWS Traffic Mirroring sends to. */
export const DEFAULT_LISTEN = "0.0.0.0:4789";
export const DEFAULT_HEALTH_PORT = 8080;
export const DEFAULT_RECEIVE_BUFFER_MB = 64;
export const DEFAULT_DEDUP_WINDOW_MS = 50;
export const DEFAULT_ROTATE_SECONDS = 3600;
export const DEFAULT_ROTATE_MAX_MB = 1024;
/** More engines than this gain nothing on the instance sizes a sensor runs on. */
export const MAX_WORKERS = 64;

/** host:port with an IPv4 address, or [IPv6]:port. */
export const LISTEN_PATTERN = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]):(\d{1,5})$/;

export const listenSchema = z.string().refine((s) => parseListen(s) !== undefined, {
  message: 'must be "<IPv4>:<port>" or "[<IPv6>]:<port>", e.g. "0.0.0.0:4789" or "[::]:4789"',
});

export function parseListen(text: string): { host: string; port: number; family: 4 | 6 } | undefined {
  const m = LISTEN_PATTERN.exec(text);
  if (m === null) return undefined;
  const p = Number(m[3]);
  if (p < 0 || p > 65_535) return undefined;
  if (m[1] !== undefined) {
    if (m[1].split(".").some((o) => Number(o) > 255)) return undefined;
    return { host: m[1], port: p, family: 4 };
  }
  return { host: m[2], port: p, family: 6 };
}

const positive = (max: number, unit: string) =>
  z
    .number({ message: "must be a number" })
    .int({ message: "must be a whole number" })
    .min(1, { message: `must be 1–${max} ${unit}` })
    .max(max, { message: `must be 1–${max} ${unit}` });

/**
 * The collector URL as Parameter Store's rule checks it, except that a loopback host is allowed:
 * in AWS it is a mistake (the sensor would upload to itself), on one machine it is the local
 * demo's and a test's collector.
 */
const fileCollectorUrlSchema = z.string().superRefine((value, ctx) => {
  const result = collectorUrlSchema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) {
    const params = (issue as { params?: RuleIssueParams }).params;
    if (params?.code === "loopback-host") continue;
    ctx.addIssue({ code: "custom", message: issue.message, ...(params ? { params } : {}) });
  }
});

/** Bytes the upload spool may hold before the oldest batches are dropped (counted). */
export const DEFAULT_SPOOL_MAX_MB = 1024;

/** Largest PCAP ring: 1 PB, i.e. no practical limit, only a guard against a unit mistake. */
export const MAX_PCAP_GB = 1_000_000;
/** `s3://bucket[/prefix]`, as S3 names buckets. */
export const S3_URL_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/.*)?$/;
/** `s3://bucket/key`: one object (a key is required and does not end in "/"). */
export const S3_OBJECT_URL_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]*[^\s/]$/;
/** How often the sensor asks S3 whether the VNI map changed (a conditional GET: unchanged costs a 304). */
export const DEFAULT_VNI_MAP_S3_POLL_SECONDS = 60;

export const sensorFileSchema = z
  .object({
    listen: listenSchema.default(DEFAULT_LISTEN),
    out: z.string().min(1, { message: "must name the log directory" }),
    // 0 binds any free port and prints it (tests, several sensors on one host).
    healthPort: z
      .number({ message: "must be a number" })
      .int({ message: "must be a whole number" })
      .min(0, { message: "must be a port number 1–65535 (0: any free port)" })
      .max(65_535, { message: "must be a port number 1–65535 (0: any free port)" })
      .default(DEFAULT_HEALTH_PORT),
    healthHost: z.string().min(1).default("0.0.0.0"),
    workers: z.union([z.literal("auto"), positive(MAX_WORKERS, "workers")]).default("auto"),
    memoryBudgetMB: positive(1_048_576, "MB").optional(),
    receiveBufferMB: positive(2048, "MB").default(DEFAULT_RECEIVE_BUFFER_MB),
    dedupWindowMs: z
      .number({ message: "must be a number" })
      .min(0, { message: "must be 0 (off) to 10000 ms" })
      .max(10_000, { message: "must be 0 (off) to 10000 ms" })
      .default(DEFAULT_DEDUP_WINDOW_MS),
    rotateSeconds: positive(86_400, "seconds").default(DEFAULT_ROTATE_SECONDS),
    rotateMaxMB: positive(1_048_576, "MB").default(DEFAULT_ROTATE_MAX_MB),
    /** The VNI map file the sensor reads (re-read within 5 s of a change and on SIGHUP). */
    vniMap: z.string().min(1).optional(),
    /**
     * The VNI map's S3 object (`s3://bucket/key`, the mirror-on-launch reconciler's): fetched every
     * vniMapS3PollSeconds, checked with contracts/vni-map and written atomically to `vniMap`.
     */
    vniMapS3: z
      .string()
      .regex(S3_OBJECT_URL_PATTERN, {
        message: 'must be "s3://<bucket>/<key>" with a valid bucket name and an object key',
      })
      .optional(),
    vniMapS3PollSeconds: positive(3600, "seconds").optional(),
    /** An S3-compatible endpoint for vniMapS3 (tests, other stores); absent: AWS's. */
    vniMapS3Endpoint: z.url({ message: "must be an http(s) URL" }).optional(),
    metricsFile: z.string().min(1).optional(),
    instanceId: z.string().min(1).optional(),
    availabilityZone: z.string().min(1).optional(),
    localNets: z.array(z.string()).optional(),
    collectorUrl: fileCollectorUrlSchema.optional(),
    /** Where batches wait for the collector (default: `<out>/.spool`). */
    spoolDir: z.string().min(1).optional(),
    spoolMaxMB: positive(1_048_576, "MB").default(DEFAULT_SPOOL_MAX_MB),
    /** A PEM file of the CA that signed the collector's certificate, trusted besides the system's. */
    collectorCaFile: z.string().min(1).optional(),
    /** Names this sensor in the collector's layout (default: instanceId, else the host name). */
    sensorId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "must be 1–64 letters, digits, '.', '_' or '-'" })
      .optional(),
    pushToken: pushTokenSchema.optional(),
    proxy: proxySchema.optional(),
    osSensorHmac: osSensorHmacSchema.optional(),
    /**
     * The PCAP ring: rolling pcap files of the received (decapsulated) traffic, oldest deleted first,
     * all workers together at most this many GB (GiB: 2^30 bytes; fractions allowed). Absent: no PCAP.
     */
    pcapMaxGB: z
      .number({ message: "must be a number" })
      .positive({ message: `must be more than 0 and at most ${MAX_PCAP_GB} GB` })
      .max(MAX_PCAP_GB, { message: `must be more than 0 and at most ${MAX_PCAP_GB} GB` })
      .optional(),
    /** Where the ring's files are (default: `<out>/.pcap`). */
    pcapDir: z.string().min(1).optional(),
    /** Closed ring files are uploaded to `<this>/pcap/sensor=<id>/dt=YYYY-MM-DD/` (optional). */
    pcapS3: z
      .string()
      .regex(S3_URL_PATTERN, { message: 'must be "s3://<bucket>[/<prefix>]" with a valid bucket name' })
      .optional(),
    /** An S3-compatible endpoint for pcapS3 (tests, other stores); absent: AWS's. */
    pcapS3Endpoint: z.url({ message: "must be an http(s) URL" }).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Uploading needs both; one without the other is a half-finished configuration, not "local only".
    if ((c.collectorUrl === undefined) !== (c.pushToken === undefined)) {
      const missing = c.collectorUrl === undefined ? "collectorUrl" : "pushToken";
      ctx.addIssue({
        code: "custom",
        path: [missing],
        message: `is required when ${missing === "collectorUrl" ? "pushToken" : "collectorUrl"} is set (uploading needs both; remove both for local output only)`,
      });
    }
    // The ring's other settings mean nothing without its size: say so rather than silently ignore them.
    if (c.pcapMaxGB === undefined)
      for (const field of ["pcapDir", "pcapS3", "pcapS3Endpoint"] as const)
        if (c[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: "needs pcapMaxGB (the PCAP ring is off without it)",
          });
    // The fetched map is written to the file the sensor reads: without one it would go nowhere.
    if (c.vniMapS3 !== undefined && c.vniMap === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["vniMap"],
        message: "is required when vniMapS3 is set (the local file the fetched map is written to)",
      });
    if (c.vniMapS3 === undefined)
      for (const field of ["vniMapS3PollSeconds", "vniMapS3Endpoint"] as const)
        if (c[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: "needs vniMapS3 (nothing is fetched without it)",
          });
  });

export type SensorFileConfig = z.infer<typeof sensorFileSchema>;

export class SensorFileError extends Error {
  override name = "SensorFileError";
  constructor(readonly problems: string[]) {
    super(`invalid sensor configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** Validates parsed JSON; every problem as "<field>: <message>", with no value in it. */
export function parseSensorFile(input: unknown): SensorFileConfig {
  const result = sensorFileSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys")
      return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}: remove them (fields are case-sensitive)`;
    const field = issue.path.length > 0 ? issue.path.join(".") : "(file)";
    const message =
      issue.code === "invalid_type" && issue.path.length === 0 ? "must be a JSON object" : issue.message;
    return `${field}: ${message}`;
  });
  throw new SensorFileError(problems);
}
