// The optional reference collector: absent unless enabled; TLS at the NLB with the configured certificate,
// only the allowed ranges in, writing only under records/.
import { beforeAll, describe, expect, it } from "vitest";
import { collectorUserData } from "../../stack/collector.js";
import { mockId } from "./support/ids.js";
import { baseConfig, type Inventory, inventory, list, statements } from "./support/inventory.js";

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

let inv: Inventory;
beforeAll(async () => {
  inv = await inventory(
    baseConfig({ collector: { enabled: true, domainName: "collector.example.com", certificateArn: CERT } }),
  );
});

describe("reference collector", () => {
  it("is not deployed unless enabled", async () => {
    // Act
    const plain = await inventory(baseConfig());

    // Assess
    expect(plain.resources.filter((r) => r.name.startsWith("Collector"))).toEqual([]);
  });

  it("terminates TLS 443 at an internal NLB with the configured certificate and re-encrypts to 8443", () => {
    // Act
    const nlb = inv.named("aws:lb/loadBalancer:LoadBalancer", "CollectorLoadBalancer");
    const listener = inv.named("aws:lb/listener:Listener", "CollectorListener");
    const tg = inv.named("aws:lb/targetGroup:TargetGroup", "CollectorTargetGroup");

    // Assess
    expect(nlb.inputs.internal).toBe(true);
    expect(listener.inputs).toMatchObject({ protocol: "TLS", port: 443, certificateArn: CERT });
    expect(tg.inputs).toMatchObject({ protocol: "TLS", port: 8443 });
    expect(tg.inputs.healthCheck).toMatchObject({ protocol: "HTTPS", path: "/v1/health" });
  });

  it("lets in only the VPC's range on the collector port", () => {
    // Act
    const sg = inv.named("aws:ec2/securityGroup:SecurityGroup", "CollectorSecurityGroup");

    // Assess
    expect(sg.inputs.ingress).toHaveLength(1);
    expect(sg.inputs.ingress[0]).toMatchObject({ protocol: "tcp", fromPort: 8443, toPort: 8443 });
    expect(sg.inputs.ingress[0].cidrBlocks).toContain("10.40.0.0/16");
    expect(sg.inputs.ingress[0].cidrBlocks).not.toContain("0.0.0.0/0");
  });

  it("writes batches only under records/ and runs one instance of the collector with IMDSv2", () => {
    // Act
    const policy = statements(
      inv.named("aws:iam/rolePolicy:RolePolicy", "CollectorRolePolicy").inputs.policy,
    );
    const lt = inv.named("aws:ec2/launchTemplate:LaunchTemplate", "CollectorLaunchTemplate");
    const asg = inv.named("aws:autoscaling/group:Group", "CollectorAutoScalingGroup");
    const userData = Buffer.from(lt.inputs.userData, "base64").toString("utf8");

    // Assess
    const puts = policy.filter((s) => list(s.Action).includes("s3:PutObject"));
    expect(puts.map((s) => s.Resource)).toEqual([
      "arn:aws:s3:::spanless-dev-123456789012-us-east-1/records/*",
    ]);
    expect(lt.inputs.metadataOptions.httpTokens).toBe("required");
    expect(asg.inputs).toMatchObject({ minSize: 1, maxSize: 1, desiredCapacity: 1, healthCheckType: "ELB" });
    expect(userData).toBe(collectorUserData("spanless-dev-123456789012-us-east-1"));
    expect(userData).toContain(
      "spanless collector --listen 0.0.0.0:8443 --store /var/lib/spanless-collector --s3 s3://spanless-dev-123456789012-us-east-1/records",
    );
  });

  it("outputs the URL sensors use and the NLB name to point it at", () => {
    // Assess
    expect(inv.outputs.CollectorUrl).toBe("https://collector.example.com/");
    expect(inv.outputs.CollectorLoadBalancerDns).toMatch(/^spanless-dev-collector-/);
  });

  it("as a public collector: an internet-facing NLB in the public subnets, open only to the allowed ranges and its nodes", async () => {
    // Prepare
    const config = baseConfig({
      collector: {
        enabled: true,
        public: true,
        domainName: "collector.example.com",
        certificateArn: CERT,
        allowedCidrs: ["203.0.113.10/32", "203.0.113.11/32"],
      },
    });

    // Act
    const pub = await inventory(config);
    const nlb = pub.named("aws:lb/loadBalancer:LoadBalancer", "CollectorLoadBalancer");
    const sg = pub.named("aws:ec2/securityGroup:SecurityGroup", "CollectorSecurityGroup");

    // Assess
    expect(nlb.inputs.internal).toBe(false);
    expect(nlb.inputs.subnets).toEqual([
      mockId("aws:ec2/subnet:Subnet", "PublicSubnet-us-east-1a"),
      mockId("aws:ec2/subnet:Subnet", "PublicSubnet-us-east-1b"),
    ]);
    expect(sg.inputs.ingress[0].cidrBlocks).toEqual([
      "203.0.113.10/32",
      "203.0.113.11/32",
      "10.40.128.0/19",
      "10.40.160.0/19",
    ]);
  });
});
