import { describe, expect, it } from "vitest";
import { engineBudget } from "../../sensor-ami/src/daemon/sensor.js";

const MB = 1024 * 1024;

describe("engineBudget", () => {
  it("gives the engines a share of what is left after the process and the rings", () => {
    // 256 MB - 96 MB (process) - 32 MB (one ring) = 128 MB; 30 % of it is accounted.
    expect(Math.round(engineBudget(256 * MB, 1) / MB)).toBe(38);
    expect(engineBudget(1024 * MB, 2)).toBe(Math.floor(((1024 - 96 - 64) * MB * 0.3) / 2));
  });

  it("refuses a budget that leaves an engine less than 8 MB, saying what is enough", () => {
    expect(() => engineBudget(150 * MB, 2)).toThrow(
      /150 MB is too small for 2 worker\(s\): give at least 214 MB/,
    );
    expect(() => engineBudget(214 * MB, 2)).not.toThrow();
  });
});
