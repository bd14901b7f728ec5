import { afterEach, describe, expect, it } from "vitest";
import {
  createTelemetry,
  flushMetrics,
  METRICS_NAMESPACE,
  serviceName,
} from "../../../functions/shared/telemetry.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";

let output: CapturedTelemetry | undefined;
afterEach(() => output?.restore());

describe("telemetry", () => {
  it("names every function's service spanless-<function> in the Spanless namespace", () => {
    // Prepare
    output = captureTelemetry();
    const { metrics } = createTelemetry("example", {});
    // Act
    metrics.addMetric("Things", "Count", 2);
    flushMetrics(metrics);
    // Assess
    expect(serviceName("example")).toBe("spanless-example");
    const [record] = output.metricValues("Things").map((m) => m.record);
    expect(record._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(record.service).toBe("spanless-example");
    expect(output.metric("Things")).toBe(2);
  });

  it("flushes nothing, and warns about nothing, when nothing was counted", () => {
    // Prepare
    output = captureTelemetry();
    const { metrics } = createTelemetry("example", {});
    metrics.addDimension("AutoScalingGroupName", "g");
    // Act
    flushMetrics(metrics);
    metrics.addMetric("Later", "Count", 1);
    flushMetrics(metrics);
    // Assess
    expect(output.rawLines().join("\n")).not.toMatch(/No application metrics/);
    expect(output.emf()).toHaveLength(1);
    expect(output.emf()[0]).not.toHaveProperty("AutoScalingGroupName");
  });
});
