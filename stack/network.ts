// The network. New-VPC mode: a VPC with one private (sensor) and one public subnet per AZ, a NAT gateway per
// AZ (so an AZ keeps its egress when another AZ fails), an S3 gateway endpoint (PCAP and record uploads do not
// pay NAT processing), and the default security group emptied. Existing-VPC mode: the sensor subnets as
// given, or created in the given AZs and associated with the given route tables.
import type { Account } from "./account.js";
import { configFileForStage, StackConfigError } from "./config/load.js";
import { newVpcLayout, type StackConfig } from "./config/schema.js";
import type { Network } from "./context.js";
import type { StackNames } from "./names.js";

export function network(config: StackConfig, names: StackNames, where: Account): Network {
  return config.vpc.mode === "new" ? newVpc(config, names, where) : existingVpc(config, names);
}

function tags(names: StackNames, name: string) {
  return { Name: `${names.base}-${name}` };
}

function newVpc(config: StackConfig, names: StackNames, where: Account): Network {
  if (config.vpc.mode !== "new") throw new Error("newVpc needs vpc.mode new");
  const layout = newVpcLayout(config.vpc.cidr, config.vpc.azs);
  const vpc = new aws.ec2.Vpc("Vpc", {
    cidrBlock: config.vpc.cidr,
    enableDnsSupport: true,
    enableDnsHostnames: true,
    tags: tags(names, "vpc"),
  });
  // Nothing may use the default group by accident: no rules at all.
  new aws.ec2.DefaultSecurityGroup("VpcDefaultSecurityGroup", { vpcId: vpc.id, ingress: [], egress: [] });
  const internetGateway = new aws.ec2.InternetGateway("InternetGateway", {
    vpcId: vpc.id,
    tags: tags(names, "igw"),
  });
  const publicRoutes = new aws.ec2.RouteTable("PublicRouteTable", {
    vpcId: vpc.id,
    routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
    tags: tags(names, "public"),
  });

  const sensorSubnetIds: $util.Output<string>[] = [];
  const publicSubnetIds: $util.Output<string>[] = [];
  const natPublicIps: $util.Output<string>[] = [];
  const privateRouteTableIds: $util.Output<string>[] = [];
  layout.private.forEach(({ az, cidr }, i) => {
    const publicSubnet = new aws.ec2.Subnet(`PublicSubnet-${az}`, {
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: layout.public[i].cidr,
      mapPublicIpOnLaunch: false,
      tags: tags(names, `public-${az}`),
    });
    new aws.ec2.RouteTableAssociation(`PublicSubnetRoutes-${az}`, {
      subnetId: publicSubnet.id,
      routeTableId: publicRoutes.id,
    });
    const eip = new aws.ec2.Eip(`NatAddress-${az}`, { domain: "vpc", tags: tags(names, `nat-${az}`) });
    const nat = new aws.ec2.NatGateway(
      `NatGateway-${az}`,
      { allocationId: eip.id, subnetId: publicSubnet.id, tags: tags(names, `nat-${az}`) },
      { dependsOn: [internetGateway] },
    );
    const sensorSubnet = new aws.ec2.Subnet(`SensorSubnet-${az}`, {
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: cidr,
      mapPublicIpOnLaunch: false,
      tags: tags(names, `sensors-${az}`),
    });
    const privateRoutes = new aws.ec2.RouteTable(`SensorRouteTable-${az}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
      tags: tags(names, `sensors-${az}`),
    });
    new aws.ec2.RouteTableAssociation(`SensorSubnetRoutes-${az}`, {
      subnetId: sensorSubnet.id,
      routeTableId: privateRoutes.id,
    });
    sensorSubnetIds.push(sensorSubnet.id);
    publicSubnetIds.push(publicSubnet.id);
    natPublicIps.push(eip.publicIp);
    privateRouteTableIds.push(privateRoutes.id);
  });
  new aws.ec2.VpcEndpoint("S3GatewayEndpoint", {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${where.region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds: privateRouteTableIds,
    tags: tags(names, "s3"),
  });

  return {
    vpcId: vpc.id,
    vpcCidr: config.vpc.cidr,
    sensorSubnetIds,
    sensorSubnetCidrs: layout.private.map((s) => s.cidr),
    publicSubnetIds,
    publicSubnetCidrs: layout.public.map((s) => s.cidr),
    natPublicIps,
  };
}

/**
 * Existing-VPC mode. The config's AZs decide the cross-zone rule and its CIDRs the security group and the
 * mirror filter, so the given VPC and subnets are checked against what EC2 says before anything uses them:
 * a mismatch fails the run with the field and the fix, like any other config problem.
 */
function existingVpc(config: StackConfig, names: StackNames): Network {
  if (config.vpc.mode !== "existing") throw new Error("existingVpc needs vpc.mode existing");
  const { vpcId, cidr } = config.vpc;
  const given = config.vpc.sensorSubnets.flatMap((s, i) =>
    s.id === undefined ? [] : [{ ...s, id: s.id, i }],
  );
  // One check of the VPC and every given subnet, so a wrong config is told every problem at once.
  const checked = $resolve({
    vpc: aws.ec2.getVpcOutput({ id: vpcId }),
    subnets: $resolve(given.map((s) => aws.ec2.getSubnetOutput({ id: s.id }))),
  }).apply(({ vpc, subnets }) => {
    const problems: string[] = [];
    if (vpc.cidrBlock !== cidr) {
      problems.push(
        `vpc.cidr: ${vpcId}'s primary CIDR is ${vpc.cidrBlock}, not ${cidr}; set vpc.cidr to ${vpc.cidrBlock}`,
      );
    }
    subnets.forEach((found, n) => {
      const { id, az, cidr: subnetCidr, i } = given[n];
      const field = `vpc.sensorSubnets[${i}]`;
      if (found.vpcId !== vpcId)
        problems.push(`${field}.id: ${id} is in ${found.vpcId}, not in vpc.vpcId ${vpcId}`);
      if (found.availabilityZone !== az) {
        problems.push(
          `${field}.az: ${id} is in ${found.availabilityZone}, not ${az}; set az to ${found.availabilityZone}`,
        );
      }
      if (found.cidrBlock !== subnetCidr) {
        problems.push(
          `${field}.cidr: ${id} is ${found.cidrBlock}, not ${subnetCidr}; set cidr to ${found.cidrBlock}`,
        );
      }
    });
    if (problems.length > 0) throw new StackConfigError(configFileForStage(config.stage), problems);
    return vpcId;
  });
  const sensorSubnetIds = config.vpc.sensorSubnets.map((s) => {
    if (s.id !== undefined) {
      const id = s.id;
      return checked.apply(() => id);
    }
    const subnet = new aws.ec2.Subnet(`SensorSubnet-${s.az}`, {
      vpcId: checked,
      availabilityZone: s.az,
      cidrBlock: s.cidr,
      mapPublicIpOnLaunch: false,
      tags: tags(names, `sensors-${s.az}`),
    });
    new aws.ec2.RouteTableAssociation(`SensorSubnetRoutes-${s.az}`, {
      subnetId: subnet.id,
      routeTableId: s.routeTableId as string,
    });
    return subnet.id;
  });
  return {
    vpcId: checked,
    vpcCidr: cidr,
    sensorSubnetIds,
    sensorSubnetCidrs: config.vpc.sensorSubnets.map((s) => s.cidr),
    publicSubnetIds: [],
    publicSubnetCidrs: [],
    natPublicIps: [],
  };
}
