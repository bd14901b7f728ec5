// Reading a Lambda's environment with zod, the same way in every function: only the variables the schema
// names are read (unrelated environment never fails validation), a blank value counts as unset, and every
// problem is reported at once as `VARIABLE: what is wrong`.
import { z } from "zod";
import type { ConfigError } from "./errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The one boolean vocabulary of every Spanless environment variable (compared case-insensitively). */
const FLAG_TRUE = ["true", "1", "yes"] as const;
const FLAG_FALSE = ["false", "0", "no"] as const;
const FLAG_WORDS = new Map<string, boolean>([
  ...FLAG_TRUE.map((w) => [w, true] as const),
  ...FLAG_FALSE.map((w) => [w, false] as const),
]);
const FLAG_EXPECTED = `must be one of ${FLAG_TRUE.map((t, i) => `${t}/${FLAG_FALSE[i]}`).join(", ")} (any case)`;

/** A boolean environment variable: unset means `fallback`; anything outside the vocabulary is a problem. */
export function envFlag(fallback: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return fallback;
      const value = FLAG_WORDS.get(raw.trim().toLowerCase());
      if (value === undefined) {
        ctx.addIssue({ code: "custom", message: `${FLAG_EXPECTED}, not "${raw}"` });
        return z.NEVER;
      }
      return value;
    });
}

/** An optional comma-separated list, items trimmed and empty ones dropped. */
export const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** `path: message` per zod issue (`root` names an issue without a path). */
export function describeIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((i) => `${i.path.join(".") || root}: ${i.message}`);
}

export interface ParseEnvOptions {
  /** What is being configured, for the error message: `invalid <what>: …`. */
  what: string;
  /** The function's ConfigError subclass. */
  error: new (
    message: string,
    problems: string[],
    options?: { cause?: unknown },
  ) => ConfigError;
  /** Problems found outside the schema (e.g. across variables), reported together with the schema's. */
  extraProblems?: (picked: Readonly<Record<string, string>>) => string[];
}

/** Parses the variables `schema` names from `env`; throws `options.error` listing every problem. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env, options: ParseEnvOptions): z.output<S> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") picked[name] = value;
  }
  const result = schema.safeParse(picked);
  const extra = options.extraProblems?.(picked) ?? [];
  if (!result.success || extra.length > 0) {
    const problems = [...extra, ...(result.success ? [] : describeIssues(result.error, "environment"))];
    throw new options.error(`invalid ${options.what}: ${problems.join("; ")}`, problems, {
      cause: result.success ? undefined : result.error,
    });
  }
  return result.data;
}
