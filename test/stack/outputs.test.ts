// The stack's outputs in both VPC modes: what the operator needs after `sst deploy` (docs/deploy.md).
import { describe, expect, it } from "vitest";
import { baseConfig, inventory } from "./support/inventory.js";

const ALWAYS = [
  "Region",
  "MirrorTargetId",
  "MirrorFilterId",
  "LoadBalancerDns",
  "NatPublicIps",
  "SessionManagerDocument",
  "Bucket",
  "SensorLogGroup",
  "AthenaWorkgroup",
  "GlueDatabase",
  "AutoScalingGroup",
];

describe("stack outputs", () => {
  it("new-VPC mode: every output, the IDs matching the resources", async () => {
    // Prepare
    const inv = await inventory(baseConfig());

    // Act
    const outputs = inv.outputs;

    // Assess
    for (const key of ALWAYS) expect(outputs, key).toHaveProperty(key);
    expect(outputs.MirrorTargetId).toMatch(/^tmt-/);
    expect(outputs.MirrorFilterId).toMatch(/^tmf-/);
    expect(outputs.LoadBalancerDns).toMatch(/\.elb\.us-east-1\.amazonaws\.com$/);
    expect(outputs.NatPublicIps).toHaveLength(2);
    expect(outputs.Bucket).toBe("spanless-dev-123456789012-us-east-1");
    expect(outputs.SensorLogGroup).toBe("/spanless/dev/sensors");
    expect(outputs.AutoScalingGroup).toBe("spanless-dev-sensors");
    expect(outputs.CollectorUrl).toBeUndefined();
  });

  it("existing-VPC mode with the collector: every output plus the collector's", async () => {
    // Prepare
    const inv = await inventory("examples/stack/existing-vpc.json", { stage: "prod", region: "eu-west-1" });

    // Act
    const outputs = inv.outputs;

    // Assess
    for (const key of ALWAYS) expect(outputs, key).toHaveProperty(key);
    expect(outputs.NatPublicIps).toEqual([]);
    expect(outputs.CollectorUrl).toBe("https://collector.example.com/");
    expect(outputs.CollectorLoadBalancerDns).toMatch(/\.elb\.eu-west-1\.amazonaws\.com$/);
  });
});
