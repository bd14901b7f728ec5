// The internal NLB the traffic mirror sessions target. UDP 4789 listener (without it Traffic Mirroring drops
// everything without an error, aws-facts §4.5), a UDP target group health-checked over HTTP on the sensor's
// health port (UDP health checks do not exist), cross-zone per config.
import { HEALTH_PATH, HEALTH_PORT, VXLAN_PORT } from "../../contracts/host/paths.js";
import type { StackConfig } from "../config/schema.js";
import type { Network } from "../context.js";
import type { StackNames } from "../names.js";

/** Seconds between health checks, and how many in a row flip a sensor. */
export const HEALTH_CHECK = { interval: 10, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 3 };
/** Seconds a deregistering sensor keeps its flows: short, the next sensor picks them up. */
export const DEREGISTRATION_DELAY = 30;

export function sensorLoadBalancer(config: StackConfig, names: StackNames, net: Network) {
  const loadBalancer = new aws.lb.LoadBalancer("SensorLoadBalancer", {
    name: names.loadBalancer,
    loadBalancerType: "network",
    internal: true,
    subnets: net.sensorSubnetIds,
    ipAddressType: "ipv4",
    enableCrossZoneLoadBalancing: config.sensors.crossZone,
    tags: { Name: names.loadBalancer },
  });
  const targetGroup = new aws.lb.TargetGroup("SensorTargetGroup", {
    name: names.targetGroup,
    vpcId: net.vpcId,
    targetType: "instance",
    protocol: "UDP",
    port: VXLAN_PORT,
    deregistrationDelay: DEREGISTRATION_DELAY,
    // A replaced sensor's flows are cut at deregistration so they rehash to the sensors that remain.
    connectionTermination: true,
    healthCheck: {
      enabled: true,
      protocol: "HTTP",
      port: String(HEALTH_PORT),
      path: HEALTH_PATH,
      matcher: "200",
      interval: HEALTH_CHECK.interval,
      timeout: HEALTH_CHECK.timeout,
      healthyThreshold: HEALTH_CHECK.healthyThreshold,
      unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
    },
    tags: { Name: names.targetGroup },
  });
  const listener = new aws.lb.Listener("SensorListener", {
    loadBalancerArn: loadBalancer.arn,
    protocol: "UDP",
    port: VXLAN_PORT,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
  });
  return { loadBalancer, targetGroup, listener };
}
