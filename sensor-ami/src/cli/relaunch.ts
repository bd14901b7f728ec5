// Starts the CLI again under the sensor's Node.js options (runtime.ts) when this process was not
// started with them. Shared by the checkout's launcher (sensor-ami/bin/spanless.js) and the image's
// one-file bundle (single-file.ts), so both run the product the benchmark measures.

import { spawn } from "node:child_process";
import { constants } from "node:os";
import { missingNodeOptions, sensorNodeOptions } from "./runtime.js";

/** Set in the child's environment, so a child never starts another one. */
export const OPTIONS_APPLIED_ENV = "SPANLESS_NODE_OPTIONS_APPLIED";
/** sysexits' EX_IOERR: the runtime itself could not be started. */
const EXIT_CANNOT_START = 74;
/** Signals passed on to the child: the ones that stop a service or a terminal session, and reload. */
const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Runs `script` with `args` in a child Node.js process that has the sensor's options, and ends this
 * process the way the child ended. Returns false, having done nothing, when no option is missing
 * (the caller then runs the CLI in this process).
 */
export async function relaunchWithSensorOptions(script: string, args: string[]): Promise<false> {
  const missing = missingNodeOptions(sensorNodeOptions(), process.execArgv, process.env.NODE_OPTIONS ?? "");
  if (missing.length === 0 || process.env[OPTIONS_APPLIED_ENV] === "1") return false;
  // Asynchronous, so this process keeps running its event loop and can pass on the signals that
  // stop a service or a terminal session: a child left running after its launcher was stopped
  // would go on writing logs nobody is waiting for.
  const child = spawn(process.execPath, [...missing, ...process.execArgv, script, ...args], {
    stdio: "inherit",
    env: { ...process.env, [OPTIONS_APPLIED_ENV]: "1" },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  const [status, signal, error] = await new Promise<
    [number | null, NodeJS.Signals | null, Error | undefined]
  >((resolve) => {
    child.once("error", (err) => resolve([null, null, err]));
    child.once("exit", (code, sig) => resolve([code, sig, undefined]));
  });
  if (error) {
    process.stderr.write(`spanless: cannot start ${process.execPath}: ${error.message}\n`);
    process.exit(EXIT_CANNOT_START);
  }
  if (signal) {
    // Die of the child's signal, so a shell or supervisor sees what happened to the run; with our
    // handlers gone the default action ends this process. Should the signal be ignored here (an
    // inherited SIG_IGN), fall back to the shell's convention, 128 + the signal number.
    for (const s of FORWARDED) process.off(s, forward);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(status ?? 1);
}
