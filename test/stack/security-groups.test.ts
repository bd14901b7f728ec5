// No security group anywhere in the stack accepts traffic from the whole internet, and the sensors accept
// exactly VXLAN from the mirrored ranges and health checks from the NLB's subnets: no SSH.
import { describe, expect, it } from "vitest";
import { baseConfig, inventory, type Resource } from "./support/inventory.js";

const CONFIGS = {
  base: () => inventory(baseConfig()),
  "new-vpc example": () => inventory("examples/stack/new-vpc.json", { stage: "prod" }),
  "existing-vpc example (with collector)": () =>
    inventory("examples/stack/existing-vpc.json", { stage: "prod", region: "eu-west-1" }),
};

interface Rule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
}

/** Every ingress rule, inline in a group or a separate rule resource. */
function ingressRules(resources: readonly Resource[]): { where: string; rule: Rule }[] {
  const out: { where: string; rule: Rule }[] = [];
  for (const r of resources) {
    if (
      r.type === "aws:ec2/securityGroup:SecurityGroup" ||
      r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ) {
      for (const rule of (r.inputs.ingress ?? []) as Rule[]) out.push({ where: r.name, rule });
    }
    if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule" && r.inputs.type === "ingress") {
      out.push({ where: r.name, rule: r.inputs as Rule });
    }
    if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
      out.push({
        where: r.name,
        rule: {
          protocol: r.inputs.ipProtocol,
          fromPort: r.inputs.fromPort,
          toPort: r.inputs.toPort,
          cidrBlocks: r.inputs.cidrIpv4 ? [r.inputs.cidrIpv4] : [],
          ipv6CidrBlocks: r.inputs.cidrIpv6 ? [r.inputs.cidrIpv6] : [],
        },
      });
    }
  }
  return out;
}

describe.each(Object.entries(CONFIGS))("%s", (_name, load) => {
  it("has no ingress from 0.0.0.0/0 or ::/0", async () => {
    // Prepare
    const inv = await load();

    // Act
    const open = ingressRules(inv.resources).filter(
      ({ rule }) =>
        (rule.cidrBlocks ?? []).includes("0.0.0.0/0") || (rule.ipv6CidrBlocks ?? []).includes("::/0"),
    );

    // Assess
    expect(ingressRules(inv.resources).length).toBeGreaterThan(0);
    expect(open).toEqual([]);
  });

  it("opens no SSH (22) or all-ports ingress anywhere", async () => {
    // Prepare
    const inv = await load();

    // Act
    const risky = ingressRules(inv.resources).filter(
      ({ rule }) =>
        rule.protocol === "-1" || rule.protocol === "all" || (rule.fromPort <= 22 && rule.toPort >= 22),
    );

    // Assess
    expect(risky).toEqual([]);
  });
});

describe("sensor security group", () => {
  it("accepts VXLAN from the mirrored ranges and the health port from the sensor subnets, nothing else", async () => {
    // Prepare
    const inv = await inventory("examples/stack/new-vpc.json", { stage: "prod" });

    // Act
    const sg = inv.named("aws:ec2/securityGroup:SecurityGroup", "SensorSecurityGroup");

    // Assess
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({ protocol: "udp", fromPort: 4789, toPort: 4789, cidrBlocks: ["10.0.0.0/8"] }),
      expect.objectContaining({
        protocol: "tcp",
        fromPort: 8080,
        toPort: 8080,
        cidrBlocks: ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"],
      }),
    ]);
  });

  it("defaults the mirrored range to the VPC's CIDR", async () => {
    // Prepare
    const inv = await inventory(baseConfig());

    // Act
    const sg = inv.named("aws:ec2/securityGroup:SecurityGroup", "SensorSecurityGroup");

    // Assess
    expect(sg.inputs.ingress[0].cidrBlocks).toEqual(["10.40.0.0/16"]);
  });

  it("lets out only TCP (no UDP, so nothing but TCP leaves the sensors)", async () => {
    // Prepare
    const inv = await inventory(baseConfig());

    // Act
    const sg = inv.named("aws:ec2/securityGroup:SecurityGroup", "SensorSecurityGroup");

    // Assess
    expect(sg.inputs.egress.map((r: Rule) => r.protocol)).toEqual(["tcp"]);
  });
});
