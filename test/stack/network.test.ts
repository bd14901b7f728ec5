// Both VPC modes: a new VPC with public and private subnets, a NAT gateway per AZ (its EIP an output), or the
// given existing subnets with only the missing ones created.
import { beforeAll, describe, expect, it } from "vitest";
import { baseConfig, evaluateStack, type Inventory, inventory } from "./support/inventory.js";

const SUBNET = "aws:ec2/subnet:Subnet";
const NAT = "aws:ec2/natGateway:NatGateway";
const EIP = "aws:ec2/eip:Eip";
const ROUTES = "aws:ec2/routeTable:RouteTable";
const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";

describe("new-VPC mode", () => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await inventory(
      baseConfig({
        vpc: { mode: "new", cidr: "10.40.0.0/16", azs: ["us-east-1a", "us-east-1b", "us-east-1c"] },
        sensors: { ...baseConfig().sensors, min: 3, desired: 3, max: 6 },
      }),
    );
  });

  it("creates the VPC with DNS, and empties its default security group", () => {
    // Act
    const vpc = inv.one("aws:ec2/vpc:Vpc");
    const defaultGroup = inv.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");

    // Assess
    expect(vpc.inputs).toMatchObject({
      cidrBlock: "10.40.0.0/16",
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });
    expect(defaultGroup.inputs.ingress).toEqual([]);
    expect(defaultGroup.inputs.egress).toEqual([]);
  });

  it("creates one public and one sensor subnet per AZ, none mapping public addresses", () => {
    // Act
    const subnets = inv.ofType(SUBNET);

    // Assess
    for (const az of ["us-east-1a", "us-east-1b", "us-east-1c"]) {
      expect(inv.named(SUBNET, `SensorSubnet-${az}`).inputs.availabilityZone).toBe(az);
      expect(inv.named(SUBNET, `PublicSubnet-${az}`).inputs.availabilityZone).toBe(az);
    }
    expect(subnets).toHaveLength(6);
    expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
  });

  it("gives each AZ its own NAT gateway with an EIP, in that AZ's public subnet, and routes the AZ's sensors through it", async () => {
    // Prepare
    const ids = await import("./support/ids.js");

    // Act
    const nats = inv.ofType(NAT);

    // Assess
    expect(nats).toHaveLength(3);
    expect(inv.ofType(EIP)).toHaveLength(3);
    for (const az of ["us-east-1a", "us-east-1b", "us-east-1c"]) {
      const nat = inv.named(NAT, `NatGateway-${az}`);
      expect(nat.inputs.subnetId).toBe(ids.mockId(SUBNET, `PublicSubnet-${az}`));
      expect(nat.inputs.allocationId).toBe(ids.mockId(EIP, `NatAddress-${az}`));
      const routes = inv.named(ROUTES, `SensorRouteTable-${az}`);
      expect(routes.inputs.routes).toEqual([
        { cidrBlock: "0.0.0.0/0", natGatewayId: ids.mockId(NAT, `NatGateway-${az}`) },
      ]);
      expect(inv.named(ASSOCIATION, `SensorSubnetRoutes-${az}`).inputs).toEqual({
        routeTableId: ids.mockId(ROUTES, `SensorRouteTable-${az}`),
        subnetId: ids.mockId(SUBNET, `SensorSubnet-${az}`),
      });
    }
  });

  it("outputs the NAT gateways' public addresses, one per AZ", () => {
    // Act
    const ips = inv.outputs.NatPublicIps as string[];

    // Assess
    expect(ips).toHaveLength(3);
    expect(new Set(ips).size).toBe(3);
    expect(ips.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))).toBe(true);
  });

  it("adds an S3 gateway endpoint to the sensors' route tables", () => {
    // Act
    const endpoint = inv.one("aws:ec2/vpcEndpoint:VpcEndpoint");

    // Assess
    expect(endpoint.inputs.serviceName).toBe("com.amazonaws.us-east-1.s3");
    expect(endpoint.inputs.vpcEndpointType).toBe("Gateway");
    expect(endpoint.inputs.routeTableIds).toHaveLength(3);
  });
});

describe("existing-VPC mode", () => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await inventory(
      baseConfig({
        vpc: {
          mode: "existing",
          vpcId: "vpc-0a1b2c3d4e5f60718",
          cidr: "10.20.0.0/16",
          sensorSubnets: [
            { id: "subnet-0aa11bb22cc33dd44", az: "eu-west-1a", cidr: "10.20.64.0/24" },
            { az: "eu-west-1b", cidr: "10.20.65.0/24", routeTableId: "rtb-0123456789abcdef0" },
          ],
        },
      }),
      { region: "eu-west-1" },
    );
  });

  it("creates no VPC, gateways or NAT, only the subnet that has no ID", () => {
    // Act
    const subnets = inv.ofType(SUBNET);

    // Assess
    expect(inv.ofType("aws:ec2/vpc:Vpc")).toEqual([]);
    expect(inv.ofType(NAT)).toEqual([]);
    expect(inv.ofType("aws:ec2/internetGateway:InternetGateway")).toEqual([]);
    expect(subnets.map((s) => s.name)).toEqual(["SensorSubnet-eu-west-1b"]);
    expect(subnets[0].inputs).toMatchObject({
      vpcId: "vpc-0a1b2c3d4e5f60718",
      availabilityZone: "eu-west-1b",
      cidrBlock: "10.20.65.0/24",
    });
    expect(inv.one(ASSOCIATION).inputs.routeTableId).toBe("rtb-0123456789abcdef0");
  });

  it("spreads the sensors and the NLB over the given and the created subnet", async () => {
    // Prepare
    const ids = await import("./support/ids.js");
    const expected = ["subnet-0aa11bb22cc33dd44", ids.mockId(SUBNET, "SensorSubnet-eu-west-1b")];

    // Act
    const asg = inv.named("aws:autoscaling/group:Group", "SensorAutoScalingGroup");
    const nlb = inv.named("aws:lb/loadBalancer:LoadBalancer", "SensorLoadBalancer");

    // Assess
    expect(asg.inputs.vpcZoneIdentifiers).toEqual(expected);
    expect(nlb.inputs.subnets).toEqual(expected);
  });

  it("outputs no NAT addresses (the VPC's own egress is used)", () => {
    // Assess
    expect(inv.outputs.NatPublicIps).toEqual([]);
  });

  it("refuses a config that disagrees with the VPC and subnets EC2 describes, naming every field", async () => {
    // Prepare: EC2 (mocked) says the VPC is 10.21.0.0/16 and the given subnet lives in eu-west-1c.
    const env = {
      SPANLESS_INVENTORY_EC2: JSON.stringify({
        "vpc-0a1b2c3d4e5f60718": { cidrBlock: "10.21.0.0/16" },
        "subnet-0aa11bb22cc33dd44": { availabilityZone: "eu-west-1c" },
      }),
    };

    // Act
    const result = await evaluateStack("examples/stack/existing-vpc.json", {
      stage: "prod",
      region: "eu-west-1",
      env,
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /- vpc\.cidr: vpc-0a1b2c3d4e5f60718's primary CIDR is 10\.21\.0\.0\/16, not 10\.20\.0\.0\/16/,
    );
    expect(result.stderr).toMatch(
      /- vpc\.sensorSubnets\[0\]\.az: subnet-0aa11bb22cc33dd44 is in eu-west-1c, not eu-west-1a; set az to eu-west-1c/,
    );
  });
});
