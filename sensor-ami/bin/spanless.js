#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript (npm install runs `prepare`, which builds dist/).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const entry = join(root, "dist", "sensor-ami", "src", "cli", "main.js");
if (!existsSync(entry)) {
  process.stderr.write(
    `spanless: ${entry} is missing — run \`npm install\` (or \`npm run build\`) in ${root} first.\n`,
  );
  process.exit(2);
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
