#!/usr/bin/env node
// `npm run infra:inventory -- --config <file> [--stage <stage>] [--region <region>] [--account <id>]`
//
// Evaluates the real sst.config.ts `run()` under Pulumi mocks, without an AWS account or the Pulumi CLI, and
// prints every resource it declares as one JSON line `{"type": …, "name": …, "inputs": {…}}`, sorted by type
// then name, followed by one `spanless:stack:Outputs` line with the stack outputs. A config the stack refuses
// exits 1 with the problems on stderr. Checks outside the repo parse this output: keep it stable.
//
// How: esbuild bundles tools/infra-inventory.eval.mjs with sst.config.ts, the stack modules and SST's own
// platform sources (`.sst/platform`, written by `sst install`; installed here when missing), injecting the
// platform's shim for `$interpolate`, `$resolve`… as the SST CLI does. The bundle lives under .sst/platform so
// `@pulumi/pulumi` and `@pulumi/aws` resolve to the platform's copies (one Pulumi runtime, the one the
// components use).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PLATFORM = join(ROOT, ".sst", "platform");
const BUNDLE_DIR = join(PLATFORM, "spanless-inventory");
export const BUNDLE = join(BUNDLE_DIR, "eval.mjs");

/** `sst install` writes .sst/platform offline when the dependency check and bun are skipped. */
export function ensurePlatform({ quiet = false } = {}) {
  if (existsSync(join(PLATFORM, "src", "components", "aws", "index.ts"))) return;
  if (!quiet) process.stderr.write("infra-inventory: .sst/platform missing, running sst install (≈30 s)\n");
  const sst = join(ROOT, "node_modules", ".bin", "sst");
  const result = spawnSync(sst, ["install", "--stage", "dev"], {
    cwd: ROOT,
    stdio: quiet ? "pipe" : ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      SST_SKIP_DEPENDENCY_CHECK: "1",
      SST_NO_BUN: "1",
      SST_TELEMETRY_DISABLED: "1",
    },
  });
  if (result.status !== 0 || !existsSync(join(PLATFORM, "src", "components", "aws", "index.ts"))) {
    throw new Error(
      `sst install failed (exit ${result.status}): run SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 npx sst install --stage dev by hand\n${result.stderr ?? ""}`,
    );
  }
}

/** Bundles the evaluator with sst.config.ts and the platform (≈1 s). */
export async function buildBundle() {
  ensurePlatform();
  const esbuild = await import("esbuild");
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(ROOT, "tools", "infra-inventory.eval.mjs")],
    outfile: BUNDLE,
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Every package stays a package: resolved at run time from .sst/platform/node_modules (Pulumi, the AWS
    // provider SDK) or, walking up, from the repository's node_modules (zod).
    packages: "external",
    inject: [join(PLATFORM, "src", "shim", "run.js")],
    banner: {
      js: 'import { createRequire as __spanlessCreateRequire } from "node:module"; const require = __spanlessCreateRequire(import.meta.url);',
    },
    logLevel: "error",
    sourcemap: "inline",
  });
  // Test workers build in parallel while others run the bundle: write beside it, then rename (atomic), so a
  // reader never sees a half-written file.
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  renameSync(temporary, BUNDLE);
  return BUNDLE;
}

/**
 * Runs the bundle for one config file. Returns the child's exit status, stdout and stderr.
 * @param {{config: string, stage?: string, region?: string, account?: string, env?: Record<string, string>}} options
 */
export function evaluate({
  config,
  stage = "dev",
  region = "us-east-1",
  account = "123456789012",
  env = {},
}) {
  const result = spawnSync(process.execPath, ["--enable-source-maps", BUNDLE], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      SPANLESS_STACK_CONFIG: resolve(config),
      SPANLESS_INVENTORY_ROOT: ROOT,
      SPANLESS_INVENTORY_STAGE: stage,
      SPANLESS_INVENTORY_REGION: region,
      SPANLESS_INVENTORY_ACCOUNT: account,
      PULUMI_NODEJS_STACK: stage,
      ...env,
    },
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const key = { "--config": "config", "--stage": "stage", "--region": "region", "--account": "account" }[
      flag
    ];
    if (key === undefined || value === undefined) {
      throw new Error(`unknown or incomplete argument "${flag}"`);
    }
    options[key] = value;
    i++;
  }
  if (options.config === undefined) throw new Error("--config <file> is required");
  return options;
}

async function main(argv) {
  // `npm run typecheck` runs this first (pretypecheck): tsc needs .sst/platform's types for sst.config.ts.
  if (argv.length === 1 && argv[0] === "--ensure-platform") {
    ensurePlatform();
    return 0;
  }
  let options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(
      `infra-inventory: ${err.message}\nusage: npm run infra:inventory -- --config <file> [--stage <stage>] [--region <region>] [--account <id>]\n`,
    );
    return 2;
  }
  if (!existsSync(options.config)) {
    process.stderr.write(`infra-inventory: config file ${options.config} does not exist\n`);
    return 2;
  }
  await buildBundle();
  const { status, stdout, stderr } = evaluate(options);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
