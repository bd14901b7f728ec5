// The sensor fleet: security group, NLB, Traffic Mirror target and filter, instance role, launch template
// and Auto Scaling group.
import type { Account } from "../account.js";
import { type StackConfig, sensorSubnetCidrs } from "../config/schema.js";
import type { Network, SensorFleet, StackContext, Storage } from "../context.js";
import type { StackNames } from "../names.js";
import { sensorFleet } from "./fleet.js";
import { sensorLoadBalancer } from "./load-balancer.js";
import { mirror } from "./mirror.js";
import { sensorRole } from "./role.js";
import { sensorSecurityGroup } from "./security-group.js";

export function sensors(
  config: StackConfig,
  names: StackNames,
  where: Account,
  net: Network,
  store: Storage,
  parameters: StackContext["parameterArns"],
): SensorFleet {
  const securityGroup = sensorSecurityGroup(config, names, net);
  const { loadBalancer, targetGroup, listener } = sensorLoadBalancer(config, names, net);
  const { mirrorTarget, mirrorFilter } = mirror(config, names, loadBalancer, sensorSubnetCidrs(config));
  const { role, instanceProfile } = sensorRole(config, names, where, store, parameters);
  const { launchTemplate, autoScalingGroup } = sensorFleet(config, names, net, store, {
    securityGroup,
    instanceProfile,
    targetGroup,
  });
  return {
    securityGroup,
    loadBalancer,
    targetGroup,
    listener,
    mirrorTarget,
    mirrorFilter,
    launchTemplate,
    autoScalingGroup,
    role,
  };
}
