// Runtime settings that are not part of the mirroring policy (where to publish, how hard to push).
import { z } from "zod";
import { PolicyConfigError } from "./errors.js";

export const DEFAULT_CONCURRENCY = 8;
/** EC2 throttles mutating calls per account; more parallelism only buys throttling retries. */
export const MAX_CONCURRENCY = 32;
export const DEFAULT_VNI_MAP_KEY = "spanless/vni-map.json";

export interface RuntimeConfig {
  vniMapBucket?: string;
  vniMapKey: string;
  concurrency: number;
  dryRun: boolean;
  /** CloudTrail events made by this role (the handlers' own calls) are ignored. */
  selfRoleArn?: string;
}

const schema = z.object({
  VNI_MAP_BUCKET: z.string().trim().min(3).max(63).optional(),
  VNI_MAP_KEY: z.string().trim().min(1).default(DEFAULT_VNI_MAP_KEY),
  MAX_CONCURRENCY: z.coerce.number().int().min(1).max(MAX_CONCURRENCY).default(DEFAULT_CONCURRENCY),
  DRY_RUN: z
    .enum(["true", "false", "1", "0"], { message: 'must be "true" or "false"' })
    .optional()
    .transform((v) => v === "true" || v === "1"),
  SPANLESS_ROLE_ARN: z.string().startsWith("arn:").optional(),
});

export function parseRuntimeConfig(env: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") picked[name] = value;
  }
  const result = schema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new PolicyConfigError(`invalid runtime configuration: ${problems.join("; ")}`, problems, {
      cause: result.error,
    });
  }
  const e = result.data;
  return {
    vniMapBucket: e.VNI_MAP_BUCKET,
    vniMapKey: e.VNI_MAP_KEY,
    concurrency: e.MAX_CONCURRENCY,
    dryRun: e.DRY_RUN,
    selfRoleArn: e.SPANLESS_ROLE_ARN,
  };
}
