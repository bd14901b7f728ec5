#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript. In a checkout it is dist/ (npm install runs
// `prepare`, which builds it); in the sensor bundle that the AMI installs (tools/bundle.mjs) it is
// lib/ beside this bin/ folder.
// It runs the CLI under the sensor's Node.js options (src/cli/runtime.ts), starting one Node.js
// process with them when this one was not (options set by the operator are left as they are).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const bundled = join(dirname(here), "..", "lib");
const isBundle = existsSync(join(bundled, "main.js"));
const root = isBundle ? join(dirname(here), "..") : join(dirname(here), "..", "..");
const cli = isBundle ? bundled : join(root, "dist", "sensor-ami", "src", "cli");
const entry = join(cli, "main.js");
const runtime = join(cli, "runtime.js");
if (!existsSync(entry) || !existsSync(runtime)) {
  process.stderr.write(
    `spanless: ${entry} is missing — run \`npm install\` (or \`npm run build\`) in ${root} first.\n`,
  );
  process.exit(2);
}

const { missingNodeOptions, sensorNodeOptions } = await import(runtime);
const missing = missingNodeOptions(sensorNodeOptions(), process.execArgv, process.env.NODE_OPTIONS ?? "");
if (missing.length > 0 && process.env.SPANLESS_NODE_OPTIONS_APPLIED !== "1") {
  const child = spawnSync(
    process.execPath,
    [...missing, ...process.execArgv, here, ...process.argv.slice(2)],
    {
      stdio: "inherit",
      env: { ...process.env, SPANLESS_NODE_OPTIONS_APPLIED: "1" },
    },
  );
  if (child.error) {
    process.stderr.write(`spanless: cannot start ${process.execPath}: ${child.error.message}\n`);
    process.exit(74);
  }
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
