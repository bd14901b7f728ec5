// How a dedicated sensor instance's memory is split. The sensor keeps its RSS under its memory budget
// (connections, reassembly and fragments are bounded by it, measured under SYN floods); systemd's
// MemoryMax is the hard wall above that, with headroom for the heap's garbage and the page cache the
// log writer dirties, so the kernel's OOM killer is the last resort and not the budget. The OS, sshd-less
// base services and the CloudWatch agent keep a fixed reserve.

const MIB = 1024 * 1024;
/** Kept for the OS, journald and the CloudWatch agent. */
export const HOST_RESERVE_MB = 512;
/** Share of the rest the sensor plans to use. */
export const SENSOR_BUDGET_SHARE = 0.75;
/** MemoryMax above the budget: the budget is a target RSS, not a hard ceiling. */
export const MEMORY_MAX_HEADROOM = 1.25;
/** Below this the sensor cannot hold its rings and one engine (see `spanless sensor --memory-budget`). */
export const MIN_SENSOR_BUDGET_MB = 256;

export interface SensorMemoryPlan {
  /** `memoryBudgetMB` in the sensor's config file. */
  budgetMB: number;
  /** `MemoryMax=` for spanless-sensor.service, in MiB. */
  memoryMaxMB: number;
}

export class MemoryPlanError extends Error {
  override readonly name = "MemoryPlanError";
}

/** The plan for a machine with `totalBytes` of memory (MemTotal). */
export function sensorMemoryPlan(totalBytes: number): SensorMemoryPlan {
  const totalMB = Math.floor(totalBytes / MIB);
  const budgetMB = Math.floor((totalMB - HOST_RESERVE_MB) * SENSOR_BUDGET_SHARE);
  if (!Number.isFinite(budgetMB) || budgetMB < MIN_SENSOR_BUDGET_MB) {
    throw new MemoryPlanError(
      `this instance has ${totalMB} MiB of memory; a sensor needs at least ` +
        `${Math.ceil(MIN_SENSOR_BUDGET_MB / SENSOR_BUDGET_SHARE + HOST_RESERVE_MB)} MiB (choose a larger instance type)`,
    );
  }
  // budget × 1.25 stays below the machine minus the reserve because the budget is only 75 % of it.
  return { budgetMB, memoryMaxMB: Math.floor(budgetMB * MEMORY_MAX_HEADROOM) };
}
