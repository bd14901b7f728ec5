#!/usr/bin/env node
// Thin launcher for a checkout: the CLI is compiled TypeScript in dist/ (npm install runs `prepare`,
// which builds it). The image runs the one-file bundle instead (tools/bundle.mjs → spanless.mjs,
// entry src/cli/single-file.ts), which does the same as this file.
// It runs the CLI under the sensor's Node.js options (src/cli/runtime.ts), starting one Node.js
// process with them when this one was not (options set by the operator are left as they are).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), "..", "..");
const cli = join(root, "dist", "sensor-ami", "src", "cli");
const entry = join(cli, "main.js");
const relaunch = join(cli, "relaunch.js");
if (!existsSync(entry) || !existsSync(relaunch)) {
  process.stderr.write(
    `spanless: ${entry} is missing — run \`npm install\` (or \`npm run build\`) in ${root} first.\n`,
  );
  process.exit(2);
}

const { relaunchWithSensorOptions } = await import(relaunch);
await relaunchWithSensorOptions(here, process.argv.slice(2));
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
