// The stack's inventory for tests: the same evaluation `npm run infra:inventory` prints (the real sst.config.ts
// under Pulumi mocks, in a child process), parsed into resources with finders. One evaluation per distinct
// config and stage per test process: tests of one config share it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StackConfigInput } from "../../../stack/config/schema.js";
// @ts-expect-error: a plain .mjs tool without types; its exports are declared below.
import * as tool from "../../../tools/infra-inventory.mjs";

const inventoryTool = tool as {
  buildBundle(): Promise<string>;
  evaluate(options: {
    config: string;
    stage?: string;
    region?: string;
    account?: string;
    env?: Record<string, string>;
  }): {
    status: number;
    stdout: string;
    stderr: string;
  };
};

export interface Resource {
  type: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are whatever the provider schema says.
  inputs: Record<string, any>;
}

export interface Evaluation {
  status: number;
  stdout: string;
  stderr: string;
}

export const OUTPUTS_TYPE = "spanless:stack:Outputs";

let bundle: Promise<string> | undefined;
const evaluations = new Map<string, Promise<Evaluation>>();
let scratch: string | undefined;

function configFile(config: StackConfigInput | string): string {
  if (typeof config === "string") return config;
  scratch ??= mkdtempSync(join(tmpdir(), "spanless-inventory-"));
  const file = join(scratch, `config-${evaluations.size}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Runs the evaluation (bundle built once per process) and returns the raw result, whatever the exit status. */
/**
 * Options of one evaluation: the stage, the region, and `env` for the evaluator (SPANLESS_INVENTORY_EC2
 * makes the mocked EC2 describe an existing VPC or subnet differently from the config).
 */
export interface EvaluateOptions {
  stage?: string;
  region?: string;
  env?: Record<string, string>;
}

export function evaluateStack(
  config: StackConfigInput | string,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const key = JSON.stringify([config, options]);
  let cached = evaluations.get(key);
  if (cached === undefined) {
    bundle ??= inventoryTool.buildBundle();
    const file = configFile(config);
    cached = bundle.then(() => inventoryTool.evaluate({ config: file, ...options }));
    evaluations.set(key, cached);
  }
  return cached;
}

export class Inventory {
  constructor(readonly resources: readonly Resource[]) {}

  /** Every resource of a type (`aws:ec2/securityGroup:SecurityGroup`), in inventory order. */
  ofType(type: string): Resource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of a type and logical name; throws naming what exists when it is missing. */
  named(type: string, name: string): Resource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (found === undefined) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(
        `no ${type} named ${name}; the inventory has: ${names.join(", ") || "none of that type"}`,
      );
    }
    return found;
  }

  /** The only resource of a type; throws when there are none or several. */
  one(type: string): Resource {
    const all = this.ofType(type);
    if (all.length !== 1) {
      throw new Error(
        `expected exactly one ${type}, found ${all.length}: ${all.map((r) => r.name).join(", ")}`,
      );
    }
    return all[0];
  }

  /** The stack outputs (`sst deploy` prints them). */
  // biome-ignore lint/suspicious/noExplicitAny: outputs are arbitrary JSON.
  get outputs(): Record<string, any> {
    return this.one(OUTPUTS_TYPE).inputs;
  }
}

/** Parses the inventory's JSON lines. */
export function parseInventory(stdout: string): Inventory {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  return new Inventory(lines.map((l) => JSON.parse(l) as Resource));
}

/** The stack's resources for a config (an object, written to a temp file, or a file path); throws when refused. */
export async function inventory(
  config: StackConfigInput | string,
  options: EvaluateOptions = {},
): Promise<Inventory> {
  const result = await evaluateStack(config, options);
  if (result.status !== 0) {
    throw new Error(`the stack refused the config (exit ${result.status}):\n${result.stderr}`);
  }
  return parseInventory(result.stdout);
}

// --- IAM policy helpers -------------------------------------------------------------------------------------

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

/** A policy document given as JSON text or as an object. */
export function statements(policy: unknown): Statement[] {
  const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as {
    Statement: Statement | Statement[];
  };
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

export const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** A minimal config for tests: new VPC, two AZs, cross-zone off with one sensor per AZ. */
export function baseConfig(overrides: Partial<StackConfigInput> = {}): StackConfigInput {
  return {
    vpc: { mode: "new", cidr: "10.40.0.0/16", azs: ["us-east-1a", "us-east-1b"] },
    sensors: {
      amiId: "ami-0123456789abcdef0",
      instanceType: "c6in.large",
      min: 2,
      desired: 2,
      max: 4,
      crossZone: false,
    },
    alarms: { email: "oncall@example.com" },
    ...overrides,
  };
}
