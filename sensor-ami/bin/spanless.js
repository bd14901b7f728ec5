#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript. In a checkout it is dist/ (npm install runs
// `prepare`, which builds it); in the sensor bundle that the AMI installs (tools/bundle.mjs) it is
// lib/ beside this bin/ folder.
// It runs the CLI under the sensor's Node.js options (src/cli/runtime.ts), starting one Node.js
// process with them when this one was not (options set by the operator are left as they are).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
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
  // Asynchronous, so this process keeps running its event loop and can pass on the signals that
  // stop a service or a terminal session: a child left running after its launcher was stopped
  // would go on writing logs nobody is waiting for.
  const child = spawn(process.execPath, [...missing, ...process.execArgv, here, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, SPANLESS_NODE_OPTIONS_APPLIED: "1" },
  });
  const forward = (signal) => child.kill(signal);
  const forwarded = ["SIGTERM", "SIGINT", "SIGHUP"];
  for (const signal of forwarded) process.on(signal, forward);
  const [status, signal, error] = await new Promise((resolve) => {
    child.once("error", (err) => resolve([null, null, err]));
    child.once("exit", (code, sig) => resolve([code, sig, undefined]));
  });
  if (error) {
    process.stderr.write(`spanless: cannot start ${process.execPath}: ${error.message}\n`);
    process.exit(74);
  }
  if (signal) {
    // Die of the child's signal, so a shell or supervisor sees what happened to the analysis;
    // with our handlers gone the default action ends this process. Should the signal be ignored
    // here (an inherited SIG_IGN), fall back to the shell's convention, 128 + the signal number.
    for (const s of forwarded) process.off(s, forward);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(status ?? 1);
}

const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
