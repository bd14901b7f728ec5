// Finding and reading the stage's config file. `sst deploy --stage prod` reads spanless.config.prod.json
// beside sst.config.ts; SPANLESS_STACK_CONFIG names another file (the inventory's --config does this).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import { STAGE_PATTERN } from "../../contracts/config/names.js";
import { finishConfig, type StackConfig, stackConfigSchema } from "./schema.js";

export const CONFIG_FILE_ENV = "SPANLESS_STACK_CONFIG";

export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid Spanless stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function configFileForStage(stage: string, root = process.cwd()): string {
  const named = process.env[CONFIG_FILE_ENV];
  return resolve(root, named && named.trim() !== "" ? named : `spanless.config.${stage}.json`);
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === "number") return `${acc}[${part}]`;
    return acc === "" ? String(part) : `${acc}.${String(part)}`;
  }, "");
}

/** One line per problem: `<field>: <message>`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issuePath(issue.path);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}: check the spelling against examples/stack/*.json`;
    } else if (issue.code === "invalid_type" && message.includes("received undefined")) {
      message = `is required (${message})`;
    }
    return `${where === "" ? "(top level)" : where}: ${message}`;
  });
}

/** Validates a parsed JSON value; throws StackConfigError listing every problem. */
export function parseStackConfig(input: unknown, stage: string, file = "<config>"): StackConfig {
  if (!STAGE_PATTERN.test(stage)) {
    throw new StackConfigError(file, [
      `stage "${stage}": use 1-32 lowercase letters, digits or hyphens (it becomes part of resource and parameter names)`,
    ]);
  }
  const result = stackConfigSchema.safeParse(input);
  if (!result.success) throw new StackConfigError(file, formatIssues(result.error.issues));
  return finishConfig(result.data, stage);
}

export function loadStackConfig(stage: string, root = process.cwd()): StackConfig {
  const file = configFileForStage(stage, root);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new StackConfigError(file, [
      `cannot read the file: copy examples/stack/new-vpc.json or examples/stack/existing-vpc.json to spanless.config.${stage}.json and edit it (or set ${CONFIG_FILE_ENV})`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StackConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseStackConfig(json, stage, file);
}
