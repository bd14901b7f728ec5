// The sensors' security group: VXLAN (UDP 4789) from the mirrored ranges, the health port from the load
// balancer's subnets (an NLB's health checks come from its node addresses in those subnets), nothing else in.
// No SSH from anywhere: Session Manager instead (stack/session-manager.ts). Out: TCP only (collector or
// proxy over HTTPS, SSM, CloudWatch Logs, S3 through the gateway endpoint); Amazon DNS and the instance
// metadata service are not subject to security groups.
import { HEALTH_PORT, VXLAN_PORT } from "../../contracts/host/paths.js";
import type { StackConfig } from "../config/schema.js";
import type { Network } from "../context.js";
import type { StackNames } from "../names.js";

/** The ranges mirrored traffic arrives from: the config's, else the VPC's own. */
export function mirroredRanges(config: StackConfig, net: Network): string[] {
  return config.mirror.sourceCidrs ?? [net.vpcCidr];
}

export function sensorSecurityGroup(config: StackConfig, names: StackNames, net: Network) {
  const vxlan = mirroredRanges(config, net);
  return new aws.ec2.SecurityGroup("SensorSecurityGroup", {
    name: `${names.base}-sensors`,
    description: "Spanless sensors: VXLAN from mirrored ranges, health checks from the NLB subnets",
    vpcId: net.vpcId,
    ingress: [
      {
        description: "VXLAN (mirrored traffic through the NLB, client IP preserved)",
        protocol: "udp",
        fromPort: VXLAN_PORT,
        toPort: VXLAN_PORT,
        cidrBlocks: vxlan,
      },
      {
        description: "NLB health checks (/healthcheck) from the load balancer's subnets",
        protocol: "tcp",
        fromPort: HEALTH_PORT,
        toPort: HEALTH_PORT,
        cidrBlocks: net.sensorSubnetCidrs,
      },
    ],
    egress: [
      {
        description: "HTTPS and proxies: collector, SSM, CloudWatch Logs, S3",
        protocol: "tcp",
        fromPort: 0,
        toPort: 65535,
        cidrBlocks: ["0.0.0.0/0"],
        ipv6CidrBlocks: ["::/0"],
      },
    ],
    tags: { Name: `${names.base}-sensors` },
  });
}
