// Entry of the image's one-file sensor (tools/bundle.mjs → spanless.mjs, installed as
// /opt/spanless/lib/spanless.mjs with its native addon beside it). Everything is inlined, the lazily
// used commands and the S3 client too, so the file runs with no node_modules anywhere.
//
// The same file is the engine workers' script: the daemon starts them from the URL this entry
// publishes (daemon/sensor.ts, workerScript), and in a worker thread this entry runs the worker's
// loop instead of the CLI. The modules behind the dynamic imports below are evaluated only when
// reached, so `analyze` still loads no sockets, threads or AWS SDK code.

import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { relaunchWithSensorOptions } from "./relaunch.js";

/** Where daemon/sensor.ts looks for a worker script published by a one-file entry. */
const WORKER_SCRIPT = Symbol.for("spanless.worker-script");

if (!isMainThread) {
  await import("../daemon/worker-main.js");
} else {
  (globalThis as Record<symbol, unknown>)[WORKER_SCRIPT] = new URL(import.meta.url);
  const args = process.argv.slice(2);
  await relaunchWithSensorOptions(fileURLToPath(import.meta.url), args);
  const { main } = await import("./main.js");
  process.exitCode = await main(args);
}
