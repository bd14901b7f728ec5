// The VNI map: which VPC and source ENI a mirrored packet came from, keyed by the VXLAN network identifier
// (VNI, one per VPC) and the outer source IP (the source ENI's primary private IPv4 address). The
// mirror-on-launch reconciler writes it as one JSON object to S3; the live sensor reads it with
// parseVniMap() to enrich its records. Format documented in README.md. Depends on zod only: no AWS,
// no files, no sockets.
import { z } from "zod";

/** The format this module writes and reads. A reader refuses any other version. */
export const VNI_MAP_FORMAT_VERSION = 1;

/** VXLAN network identifiers are 24-bit. */
const MAX_VNI = 16_777_215;
/** Valid Traffic Mirror session numbers (CreateTrafficMirrorSession API reference). */
const MIN_SESSION_NUMBER = 1;
const MAX_SESSION_NUMBER = 32_766;

/** One mirrored source ENI, found under its VNI and its primary private IPv4 address. */
export interface VniMapSource {
  eniId: string;
  instanceId: string;
  subnetId?: string;
  availabilityZone?: string;
  /** The Traffic Mirror session that mirrors this ENI. */
  sessionId: string;
  sessionNumber: number;
  /** The instance's tags (key → value). */
  tags: Record<string, string>;
}

export interface VniMapEntry {
  vpcId: string;
  /** Outer source IP (the ENI's primary private IPv4 address) → source. */
  sources: Record<string, VniMapSource>;
}

export interface VniMap {
  version: typeof VNI_MAP_FORMAT_VERSION;
  /** ISO 8601 UTC time the reconcile pass finished planning. */
  generatedAt: string;
  /** The deployment's ownership tag value (`spanless:owner`). */
  owner: string;
  /** Decimal VNI → the VPC that uses it and its mirrored sources. */
  vnis: Record<string, VniMapEntry>;
}

const IPV4_OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const DECIMAL = /^(?:0|[1-9]\d{0,7})$/;

const sourceSchema = z.object({
  eniId: z.string().startsWith("eni-", { message: 'must be an ENI ID ("eni-…")' }),
  instanceId: z.string().startsWith("i-", { message: 'must be an instance ID ("i-…")' }),
  subnetId: z.string().min(1).optional(),
  availabilityZone: z.string().min(1).optional(),
  sessionId: z.string().min(1, { message: "must name the Traffic Mirror session" }),
  sessionNumber: z
    .number({ message: "must be a number" })
    .int({ message: "must be a whole number" })
    .min(MIN_SESSION_NUMBER, { message: `must be ${MIN_SESSION_NUMBER}–${MAX_SESSION_NUMBER}` })
    .max(MAX_SESSION_NUMBER, { message: `must be ${MIN_SESSION_NUMBER}–${MAX_SESSION_NUMBER}` }),
  tags: z.record(z.string(), z.string({ message: "tag values must be strings" })),
});

const entrySchema = z.object({
  vpcId: z.string().min(1, { message: "must name the VPC" }),
  sources: z.record(
    z.string().regex(IPV4, { message: "source keys must be IPv4 addresses (the outer source IP)" }),
    sourceSchema,
  ),
});

/** The zod schema of the VNI map (unknown fields are ignored, so a reader tolerates additions). */
export const vniMapSchema = z.object({
  version: z.literal(VNI_MAP_FORMAT_VERSION, {
    message: `must be ${VNI_MAP_FORMAT_VERSION} (this reader knows only format version ${VNI_MAP_FORMAT_VERSION})`,
  }),
  generatedAt: z.iso.datetime({ message: "must be an ISO 8601 UTC time such as 2026-11-24T01:00:00.000Z" }),
  owner: z.string().min(1, { message: "must name the owner (the spanless:owner tag value)" }),
  vnis: z.record(
    z
      .string()
      .regex(DECIMAL, { message: "VNI keys must be decimal numbers" })
      .refine((k) => Number(k) <= MAX_VNI, { message: `VNI keys must be 0–${MAX_VNI} (24 bits)` }),
    entrySchema,
  ),
});

/** The VNI map could not be read: the message names the field and what is wrong with it. */
export class VniMapFormatError extends Error {
  override readonly name = "VniMapFormatError";
  constructor(
    message: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An issue's message; a refused record key carries the key schema's own message one level down. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    return issue.issues.map((inner) => inner.message).join("; ");
  }
  return issue.message;
}

/**
 * Reads a VNI map from its JSON text (as stored in S3) or from an already parsed value. Throws
 * VniMapFormatError listing every problem (`vnis.8123456.sources.10.0.0.1.eniId: must be …`).
 */
export function parseVniMap(input: unknown): VniMap {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input) as unknown;
    } catch (cause) {
      const detail = (cause as Error).message;
      throw new VniMapFormatError(`VNI map is not JSON: ${detail}`, [`not JSON: ${detail}`], { cause });
    }
  }
  const result = vniMapSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "map"}: ${issueMessage(i)}`);
    throw new VniMapFormatError(`invalid VNI map: ${problems.join("; ")}`, problems, { cause: result.error });
  }
  return result.data as VniMap;
}
