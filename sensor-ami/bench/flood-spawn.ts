// Runs flood-worker.js in a child process under the sensor's Node.js options and returns its figures.

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sensorNodeOptions } from "../src/cli/runtime.js";
import type { FloodKind } from "./flood-frames.js";
import type { FloodResult } from "./flood-worker.js";

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "flood-worker.js");

export function runFlood(
  kind: FloodKind,
  packets: number,
  memoryBudgetMb?: number,
  maxConnections?: number,
  /** V8's old-space limit for the run (--max-old-space-size), in MB; Node's default when absent. */
  heapMb?: number,
): FloodResult {
  const args = [
    "--expose-gc",
    ...sensorNodeOptions(),
    ...(heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`]),
    WORKER,
    kind,
    String(packets),
    memoryBudgetMb === undefined ? "-" : String(memoryBudgetMb),
    maxConnections === undefined ? "-" : String(maxConnections),
  ];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`flood worker (${kind}) failed: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as FloodResult;
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}
