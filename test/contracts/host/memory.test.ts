import { describe, expect, it } from "vitest";
import { MemoryPlanError, sensorMemoryPlan } from "../../../contracts/host/index.js";

const GIB = 1024 ** 3;

describe("sensorMemoryPlan", () => {
  it.each([
    // instance memory → budget (the sensor's RSS target) below MemoryMax below the machine
    [4, 2688, 3360],
    [8, 5760, 7200],
    [16, 11904, 14880],
  ])("%i GiB: budget %i MiB, MemoryMax %i MiB", (gib, budgetMB, memoryMaxMB) => {
    // Act
    const plan = sensorMemoryPlan(gib * GIB);
    // Assess
    expect(plan).toEqual({ budgetMB, memoryMaxMB });
    expect(plan.memoryMaxMB).toBeLessThanOrEqual(gib * 1024 - 512);
  });

  it("refuses an instance too small to run a sensor, naming the fix", () => {
    expect(() => sensorMemoryPlan(512 * 1024 ** 2)).toThrow(MemoryPlanError);
    expect(() => sensorMemoryPlan(512 * 1024 ** 2)).toThrow(/choose a larger instance type/);
  });
});
