import { describe, expect, it } from "vitest";
import { missingNodeOptions, sensorNodeOptions, v8PoolSize } from "../../sensor-ami/src/cli/runtime.js";

describe("the sensor's Node.js options", () => {
  it("gives V8 one helper thread per spare CPU, and at least one", () => {
    expect(v8PoolSize(1)).toBe(1);
    expect(v8PoolSize(2)).toBe(1);
    expect(v8PoolSize(8)).toBe(7);
    expect(sensorNodeOptions(4)).toEqual(["--v8-pool-size=3"]);
  });

  it("leaves an option the operator set, on the command line or in NODE_OPTIONS", () => {
    // Prepare
    const wanted = ["--v8-pool-size=1", "--max-semi-space-size=32"];
    // Act / Assess
    expect(missingNodeOptions(wanted, [])).toEqual(wanted);
    expect(missingNodeOptions(wanted, ["--v8-pool-size=4"])).toEqual(["--max-semi-space-size=32"]);
    expect(missingNodeOptions(wanted, [], "--inspect --max-semi-space-size=64")).toEqual([
      "--v8-pool-size=1",
    ]);
    expect(missingNodeOptions(wanted, ["--v8-pool-size=2"], "--max-semi-space-size=16")).toEqual([]);
  });
});
