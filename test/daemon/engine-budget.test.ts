import { describe, expect, it } from "vitest";
import { engineBudget, ringBytes } from "../../sensor-ami/src/daemon/sensor.js";

const MB = 1024 * 1024;

describe("engineBudget", () => {
  it("gives the engines a share of what is left after the process and the rings", () => {
    // 256 MB - 112 MB (process) - 32 MB (one ring, an eighth) = 112 MB; a quarter of it is accounted.
    expect(Math.round(engineBudget(256 * MB, 1) / MB)).toBe(28);
    expect(engineBudget(1024 * MB, 2)).toBe(Math.floor(((1024 - 112 - 128) * MB * 0.25) / 2));
  });

  it("refuses a budget that leaves an engine less than 8 MB, saying what is enough", () => {
    expect(() => engineBudget(150 * MB, 2)).toThrow(
      /150 MB is too small for 2 worker\(s\): give at least 208 MB/,
    );
    expect(() => engineBudget(208 * MB, 2)).not.toThrow();
  });

  it("sizes the rings at an eighth of the budget, 16 to 128 MB each", () => {
    expect(ringBytes(160 * MB, 1)).toBe(20 * MB);
    expect(ringBytes(100 * MB, 2)).toBe(16 * MB);
    expect(ringBytes(6000 * MB, 2)).toBe(128 * MB);
  });
});
