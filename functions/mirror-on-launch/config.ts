// The function's environment, validated with zod: the mirroring policy (what to mirror, where to) and the
// runtime settings (where to publish, how hard to push). Each variable is documented in README.md; a bad
// value yields a PolicyConfigError listing every problem, never a half-parsed configuration.
import { z } from "zod";
import { commaList, type Env, envFlag, parseEnv } from "../shared/env.js";
import { PolicyConfigError } from "./errors.js";
import {
  ACCOUNT_SESSION_QUOTA,
  MAX_PACKET_LENGTH,
  MAX_SESSION_NUMBER,
  MAX_SOURCES_PER_ENI_TARGET,
  MAX_SOURCES_PER_ENI_TARGET_LARGE,
  MAX_VNI,
  MIN_PACKET_LENGTH,
  MIN_SESSION_NUMBER,
  MIN_VNI,
} from "./limits.js";
import type { Policy, TagMatcher } from "./types.js";

const DEFAULT_OPT_OUT_TAG = "spanless:mirror=off";
const DEFAULT_SENSOR_TAG = "spanless:role=sensor";
const DEFAULT_OWNER = "spanless";

/**
 * An EC2 resource ID (`tmt-0123…`, `tmf-0123…`). The prefix is not enforced: moto names the same
 * resources `traf-mir-tar-…`/`traf-mir-fil-…`, and a wrong ID is reported as target-/filter-missing anyway.
 */
const RESOURCE_ID = /^[a-z][a-z-]*-[0-9a-f]{8,17}$/;
const resourceId = (example: string) =>
  z.string().regex(RESOURCE_ID, { message: `must be an EC2 resource ID such as ${example}` });

const idList = (prefix: string) =>
  commaList.pipe(z.array(z.string().startsWith(prefix, { message: `every ID must start with "${prefix}"` })));

/** `key` (present with any value) or `key=v1|v2` (one of the values). */
function parseTagMatcher(text: string): TagMatcher {
  const eq = text.indexOf("=");
  if (eq < 0) return { key: text.trim(), values: [] };
  return {
    key: text.slice(0, eq).trim(),
    values: text
      .slice(eq + 1)
      .split("|")
      .map((v) => v.trim()),
  };
}

const tagMatcher = z
  .string()
  .trim()
  .min(1)
  .transform(parseTagMatcher)
  .refine((m) => m.key.length > 0, { message: "tag key must not be empty" });

const tagMatcherList = commaList.pipe(z.array(tagMatcher));

const jsonRecord = <T extends z.ZodType>(value: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON object" });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), value));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z
  .object({
    MIRROR_TARGET_ID: resourceId("tmt-0123456789abcdef0").optional(),
    MIRROR_TARGETS_BY_AZ: jsonRecord(resourceId("tmt-0123456789abcdef0")).optional(),
    MIRROR_FILTER_ID: z
      .string({ message: "is required" })
      .regex(RESOURCE_ID, { message: "must be an EC2 resource ID such as tmf-0123456789abcdef0" }),
    INCLUDE_VPC_IDS: idList("vpc-"),
    EXCLUDE_VPC_IDS: idList("vpc-"),
    INCLUDE_SUBNET_IDS: idList("subnet-"),
    EXCLUDE_SUBNET_IDS: idList("subnet-"),
    SELECT_TAGS: tagMatcherList,
    SELECT_TAGS_MODE: z.enum(["all", "any"]).default("all"),
    OPT_OUT_TAG: tagMatcher.default(parseTagMatcher(DEFAULT_OPT_OUT_TAG)),
    ENI_SCOPE: z.enum(["primary", "all"]).default("all"),
    SENSOR_ASG_NAMES: commaList,
    SENSOR_TAG: tagMatcher.default(parseTagMatcher(DEFAULT_SENSOR_TAG)),
    PACKET_LENGTH: int(MIN_PACKET_LENGTH, MAX_PACKET_LENGTH).optional(),
    VNI_OVERRIDES: jsonRecord(int(MIN_VNI, MAX_VNI)).optional(),
    PREFERRED_SESSION_NUMBER: int(MIN_SESSION_NUMBER, MAX_SESSION_NUMBER).default(1),
    OWNER_TAG_VALUE: z.string().trim().min(1).max(256).default(DEFAULT_OWNER),
    REMOVE_ON_STOP: envFlag(true),
    ACCOUNT_SESSION_QUOTA: int(0, ACCOUNT_SESSION_QUOTA).default(ACCOUNT_SESSION_QUOTA),
    ENI_TARGET_SOURCE_LIMIT: int(1, MAX_SOURCES_PER_ENI_TARGET_LARGE).default(MAX_SOURCES_PER_ENI_TARGET),
  })
  .superRefine((env, ctx) => {
    const byAz = env.MIRROR_TARGETS_BY_AZ;
    if (byAz !== undefined && Object.keys(byAz).length === 0) {
      ctx.addIssue({ code: "custom", path: ["MIRROR_TARGETS_BY_AZ"], message: "must name at least one AZ" });
    }
  });

/** Checked on the raw variables so it is reported together with every other problem. */
function targetChoiceProblems(picked: Readonly<Record<string, string>>): string[] {
  const single = picked.MIRROR_TARGET_ID !== undefined;
  const perAz = picked.MIRROR_TARGETS_BY_AZ !== undefined;
  return single === perAz
    ? ["MIRROR_TARGET_ID: set exactly one of MIRROR_TARGET_ID or MIRROR_TARGETS_BY_AZ"]
    : [];
}

export function parsePolicy(env: Env): Policy {
  const e = parseEnv(envSchema, env, {
    what: "mirror policy configuration",
    error: PolicyConfigError,
    extraProblems: targetChoiceProblems,
  });
  return {
    includeVpcIds: e.INCLUDE_VPC_IDS,
    excludeVpcIds: e.EXCLUDE_VPC_IDS,
    includeSubnetIds: e.INCLUDE_SUBNET_IDS,
    excludeSubnetIds: e.EXCLUDE_SUBNET_IDS,
    selectTags: e.SELECT_TAGS,
    selectMode: e.SELECT_TAGS_MODE,
    optOutTag: e.OPT_OUT_TAG,
    eniScope: e.ENI_SCOPE,
    sensorAsgNames: e.SENSOR_ASG_NAMES,
    sensorTag: e.SENSOR_TAG,
    target:
      e.MIRROR_TARGETS_BY_AZ !== undefined
        ? { mode: "per-az", targetsByAz: e.MIRROR_TARGETS_BY_AZ }
        : { mode: "single", targetId: e.MIRROR_TARGET_ID as string },
    filterId: e.MIRROR_FILTER_ID,
    packetLength: e.PACKET_LENGTH,
    vniOverrides: e.VNI_OVERRIDES ?? {},
    preferredSessionNumber: e.PREFERRED_SESSION_NUMBER,
    ownerTagValue: e.OWNER_TAG_VALUE,
    removeOnStop: e.REMOVE_ON_STOP,
    accountSessionQuota: e.ACCOUNT_SESSION_QUOTA,
    eniTargetSourceLimit: e.ENI_TARGET_SOURCE_LIMIT,
  };
}

const DEFAULT_CONCURRENCY = 8;
/** EC2 throttles mutating calls per account; more parallelism only buys throttling retries. */
export const MAX_CONCURRENCY = 32;
const DEFAULT_VNI_MAP_KEY = "spanless/vni-map.json";

export interface RuntimeConfig {
  vniMapBucket?: string;
  vniMapKey: string;
  concurrency: number;
  dryRun: boolean;
  /** CloudTrail events made by this role (the handlers' own calls) are ignored. */
  selfRoleArn?: string;
  /**
   * The NLB whose UDP 4789 listener the reconciler checks. Unset: the load balancer behind each of the
   * policy's NLB-type mirror targets (DescribeTrafficMirrorTargets' NetworkLoadBalancerArn).
   */
  sensorNlbArn?: string;
}

/**
 * An ELBv2 load balancer ARN (`arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<id>`).
 * The type segment is not enforced (moto names every load balancer `app/`); a wrong one shows up as the check's error.
 */
const NLB_ARN = /^arn:[a-z-]+:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/[a-z]+\/[^/]+\/[0-9a-f]+$/;

const runtimeSchema = z.object({
  VNI_MAP_BUCKET: z.string().trim().min(3).max(63).optional(),
  VNI_MAP_KEY: z.string().trim().min(1).default(DEFAULT_VNI_MAP_KEY),
  MAX_CONCURRENCY: z.coerce.number().int().min(1).max(MAX_CONCURRENCY).default(DEFAULT_CONCURRENCY),
  DRY_RUN: envFlag(false),
  SPANLESS_ROLE_ARN: z.string().startsWith("arn:").optional(),
  SENSOR_NLB_ARN: z
    .string()
    .trim()
    .regex(NLB_ARN, {
      message:
        "must be a Network Load Balancer ARN such as arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/spanless-dev-sensors/0123456789abcdef",
    })
    .optional(),
});

export function parseRuntimeConfig(env: Env): RuntimeConfig {
  const e = parseEnv(runtimeSchema, env, { what: "runtime configuration", error: PolicyConfigError });
  return {
    vniMapBucket: e.VNI_MAP_BUCKET,
    vniMapKey: e.VNI_MAP_KEY,
    concurrency: e.MAX_CONCURRENCY,
    dryRun: e.DRY_RUN,
    selfRoleArn: e.SPANLESS_ROLE_ARN,
    sensorNlbArn: e.SENSOR_NLB_ARN,
  };
}
