// Node.js options the sensor runs with. The launcher (sensor-ami/bin/spanless.js) starts the CLI
// with them, and `npm run bench` measures with them, so the benchmark is the product.
//
// --v8-pool-size: V8's helper threads (optimising compiler, parallel and concurrent GC) default to
// four whatever the machine. Analysis is one thread; on a 2-vCPU sensor, four helpers compete with
// it for the second core and preempt it while the JIT warms up. One helper per spare core keeps
// the analysis thread on a core of its own: on the bench capture with inspection, the first pass
// in a fresh process took 0.58 s instead of 0.83 s (Node 20, 2 vCPUs), later passes unchanged.

import { availableParallelism } from "node:os";

/** The V8 helper-thread count for a machine with `cpus` logical CPUs: one per spare CPU. */
export function v8PoolSize(cpus: number = availableParallelism()): number {
  return Math.max(1, cpus - 1);
}

/** Node.js command-line options for the sensor process. */
export function sensorNodeOptions(cpus?: number): string[] {
  return [`--v8-pool-size=${v8PoolSize(cpus)}`];
}

/**
 * The options of `wanted` whose name is not already set, on the command line (`execArgv`) or in
 * NODE_OPTIONS: an operator's own choice wins.
 */
export function missingNodeOptions(wanted: string[], execArgv: string[], nodeOptionsEnv = ""): string[] {
  const given = [...execArgv, ...nodeOptionsEnv.split(/\s+/)].map((o) => o.split("=")[0]);
  return wanted.filter((o) => !given.includes(o.split("=")[0]));
}
