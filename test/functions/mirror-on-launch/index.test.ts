// The exported Lambda entry points with their default dependencies: with no configuration they must
// answer with a failure result (and a log line and metric), never throw.
import { afterEach, describe, expect, it } from "vitest";
import { handler, reconcileHandler } from "../../../functions/mirror-on-launch/index.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { fixture } from "./support/fixtures.js";

let telemetry: CapturedTelemetry | undefined;
afterEach(() => telemetry?.restore());

describe("exported entry points", () => {
  it("report a missing configuration instead of throwing", async () => {
    // Prepare
    telemetry = captureTelemetry();
    delete process.env.MIRROR_TARGET_ID;
    delete process.env.MIRROR_FILTER_ID;
    // Act
    const fromEvent = await handler(fixture("ec2-state-running.json"));
    const fromSchedule = await reconcileHandler(fixture("scheduled-event.json"));
    // Assess
    for (const result of [fromEvent, fromSchedule]) {
      expect(result.status).toBe("failed");
      expect(result.detail).toMatch(/^PolicyConfigError: .*MIRROR_TARGET_ID.*MIRROR_FILTER_ID: is required/);
    }
    const errors = telemetry.lines().filter((l) => l.message === "mirror invocation failed");
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({
      level: "ERROR",
      errorCode: "PolicyConfigError",
      service: "spanless-mirror-on-launch",
    });
    const emf = telemetry.lines().filter((l) => "_aws" in l && l.InvocationErrors === 1);
    expect(
      emf.map((l) => [
        l.ErrorCode,
        (l._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace,
      ]),
    ).toEqual([
      ["PolicyConfigError", "Spanless"],
      ["PolicyConfigError", "Spanless"],
    ]);
  });
});
