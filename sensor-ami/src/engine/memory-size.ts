// The default memory budget, sized from the machine the sensor runs on:
//
//   budget = min(MACHINE_SHARE × machine memory, HEAP_SHARE × V8 heap limit)
//
// where machine memory is the cgroup's limit when the process runs under one (a container, a
// systemd unit with MemoryMax=: cgroup v2 `/sys/fs/cgroup/memory.max`, v1
// `/sys/fs/cgroup/memory/memory.limit_in_bytes`) and os.totalmem() otherwise. A quarter of the
// machine leaves room for the log writer, the analyzers' own state, the OS page cache and (on the
// live sensor) the spool; half of V8's heap limit because connections live on the JavaScript heap,
// and a heap run close to its limit spends its time collecting garbage before it dies.

import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";

const MACHINE_SHARE = 1 / 4;
const HEAP_SHARE = 1 / 2;
const CGROUP_LIMIT_FILES = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"];

/** A cgroup memory limit file's value in bytes; undefined for "max", unreadable or absurd values. */
export function parseCgroupLimit(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined; // "max": no limit
  const n = Number(t);
  // cgroup v1 reports "no limit" as a huge page-aligned number (2^63 rounded down).
  return n > 0 && n < 2 ** 60 ? n : undefined;
}

/** Memory this process may use: the cgroup limit when set and lower than the machine's. */
export function machineMemoryBytes(
  files: readonly string[] = CGROUP_LIMIT_FILES,
  total: number = totalmem(),
): number {
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    const limit = parseCgroupLimit(text);
    if (limit !== undefined) return Math.min(limit, total);
  }
  return total;
}

/** The budget rule above, for given figures (the default reads them from this machine). */
export function defaultMemoryBudgetBytes(
  machine: number = machineMemoryBytes(),
  heapLimit: number = getHeapStatistics().heap_size_limit,
): number {
  return Math.floor(Math.min(machine * MACHINE_SHARE, heapLimit * HEAP_SHARE));
}
