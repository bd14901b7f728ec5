// The Traffic Mirror target and filter: the NLB as target; accept all IPv4/IPv6 in and out, after reject
// rules for the sensors' own subnets; Amazon DNS per config; the mirror policy handed to the function.
import { beforeAll, describe, expect, it } from "vitest";
import { filterRules } from "../../stack/sensors/mirror.js";
import { baseConfig, type Inventory, inventory, type Resource } from "./support/inventory.js";

const RULE = "aws:ec2/trafficMirrorFilterRule:TrafficMirrorFilterRule";

let inv: Inventory;
beforeAll(async () => {
  inv = await inventory(baseConfig());
});

const byDirection = (rules: Resource[], direction: string) =>
  rules
    .filter((r) => r.inputs.trafficDirection === direction)
    .sort((a, b) => a.inputs.ruleNumber - b.inputs.ruleNumber);

describe("mirror target", () => {
  it("targets the sensors' NLB", () => {
    // Act
    const target = inv.one("aws:ec2/trafficMirrorTarget:TrafficMirrorTarget");
    const nlbName = inv.named("aws:lb/loadBalancer:LoadBalancer", "SensorLoadBalancer").inputs.name;

    // Assess
    expect(target.inputs.networkLoadBalancerArn).toMatch(new RegExp(`:loadbalancer/net/${nlbName}/`));
    expect(target.inputs.networkInterfaceId).toBeUndefined();
  });
});

describe("mirror filter", () => {
  it("rejects the sensors' subnets first, then accepts all IPv4 and IPv6, in each direction", () => {
    // Prepare
    const rules = inv.ofType(RULE);

    // Act
    const inbound = byDirection(rules, "ingress");
    const outbound = byDirection(rules, "egress");

    // Assess
    expect(
      inbound.map((r) => [r.inputs.ruleAction, r.inputs.sourceCidrBlock, r.inputs.destinationCidrBlock]),
    ).toEqual([
      ["reject", "10.40.0.0/17", "0.0.0.0/0"],
      ["accept", "0.0.0.0/0", "0.0.0.0/0"],
      ["accept", "::/0", "::/0"],
    ]);
    expect(
      outbound.map((r) => [r.inputs.ruleAction, r.inputs.sourceCidrBlock, r.inputs.destinationCidrBlock]),
    ).toEqual([
      ["reject", "0.0.0.0/0", "10.40.0.0/17"],
      ["accept", "0.0.0.0/0", "0.0.0.0/0"],
      ["accept", "::/0", "::/0"],
    ]);
  });

  it("covers every sensor subnet with the rejected range", () => {
    // Act
    const sensorSubnets = inv
      .ofType("aws:ec2/subnet:Subnet")
      .filter((s) => s.name.startsWith("SensorSubnet-"));

    // Assess: 10.40.0.0/17 holds 10.40.0.0 .. 10.40.127.255
    for (const s of sensorSubnets) {
      const [a, b] = s.inputs.cidrBlock.split(".").map(Number);
      expect([a, b < 128]).toEqual([10, true]);
    }
  });

  it("leaves every rule's protocol and ports open (whole packets of every protocol)", () => {
    // Act
    const rules = inv.ofType(RULE);

    // Assess
    expect(
      rules.every((r) => r.inputs.protocol === undefined && r.inputs.destinationPortRange === undefined),
    ).toBe(true);
  });

  it("mirrors Amazon DNS only when asked", async () => {
    // Prepare
    const withDns = await inventory(baseConfig({ mirror: { amazonDns: true } }));

    // Act
    const on = withDns.one("aws:ec2/trafficMirrorFilter:TrafficMirrorFilter");
    const off = inv.one("aws:ec2/trafficMirrorFilter:TrafficMirrorFilter");

    // Assess
    expect(on.inputs.networkServices).toEqual(["amazon-dns"]);
    expect(off.inputs.networkServices).toEqual([]);
  });

  it("fits three existing sensor subnets in the filter's ten rules, rejects numbered before accepts", () => {
    // Act
    const rules = filterRules(["10.20.1.0/24", "10.20.2.0/24", "10.20.3.0/24"]);

    // Assess
    expect(rules).toHaveLength(10);
    for (const direction of ["ingress", "egress"]) {
      const mine = rules.filter((r) => r.direction === direction);
      const lastReject = Math.max(...mine.filter((r) => r.action === "reject").map((r) => r.ruleNumber));
      const firstAccept = Math.min(...mine.filter((r) => r.action === "accept").map((r) => r.ruleNumber));
      expect(lastReject).toBeLessThan(firstAccept);
      expect(new Set(mine.map((r) => r.ruleNumber)).size).toBe(mine.length);
    }
  });
});
