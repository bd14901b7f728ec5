// The Traffic Mirror target (the NLB) and filter the mirror-on-launch function attaches every session to.
// Filter rules are evaluated in rule-number order per direction: the sensors' own subnets are rejected first
// (no mirroring of traffic to or from the sensors), then everything else is accepted, IPv4 and IPv6.
import type { StackConfig } from "../config/schema.js";
import type { StackNames } from "../names.js";

export const REJECT_RULE_BASE = 10;
export const ACCEPT_RULE_BASE = 100;

export interface FilterRule {
  name: string;
  direction: "ingress" | "egress";
  action: "accept" | "reject";
  ruleNumber: number;
  sourceCidrBlock: string;
  destinationCidrBlock: string;
  description: string;
}

/** Every rule of the filter, rejects before accepts (pure, for the stack and its tests). */
export function filterRules(rejectRanges: readonly string[]): FilterRule[] {
  const rules: FilterRule[] = [];
  rejectRanges.forEach((cidr, i) => {
    rules.push({
      name: `MirrorRejectFromSensors-${i + 1}`,
      direction: "ingress",
      action: "reject",
      ruleNumber: REJECT_RULE_BASE + i,
      sourceCidrBlock: cidr,
      destinationCidrBlock: "0.0.0.0/0",
      description: `inbound from the sensors' subnet ${cidr}`,
    });
    rules.push({
      name: `MirrorRejectToSensors-${i + 1}`,
      direction: "egress",
      action: "reject",
      ruleNumber: REJECT_RULE_BASE + i,
      sourceCidrBlock: "0.0.0.0/0",
      destinationCidrBlock: cidr,
      description: `outbound to the sensors' subnet ${cidr}`,
    });
  });
  for (const direction of ["ingress", "egress"] as const) {
    const label = direction === "ingress" ? "Inbound" : "Outbound";
    rules.push({
      name: `MirrorAccept${label}Ipv4`,
      direction,
      action: "accept",
      ruleNumber: ACCEPT_RULE_BASE,
      sourceCidrBlock: "0.0.0.0/0",
      destinationCidrBlock: "0.0.0.0/0",
      description: `all ${label.toLowerCase()} IPv4`,
    });
    rules.push({
      name: `MirrorAccept${label}Ipv6`,
      direction,
      action: "accept",
      ruleNumber: ACCEPT_RULE_BASE + 10,
      sourceCidrBlock: "::/0",
      destinationCidrBlock: "::/0",
      description: `all ${label.toLowerCase()} IPv6`,
    });
  }
  return rules;
}

export function mirror(
  config: StackConfig,
  names: StackNames,
  loadBalancer: aws.lb.LoadBalancer,
  rejectRanges: readonly string[],
) {
  const mirrorTarget = new aws.ec2.TrafficMirrorTarget("MirrorTarget", {
    description: `Spanless ${config.stage} sensors (NLB ${names.loadBalancer})`,
    networkLoadBalancerArn: loadBalancer.arn,
    tags: { Name: `${names.base}-sensors` },
  });
  const mirrorFilter = new aws.ec2.TrafficMirrorFilter("MirrorFilter", {
    description: `Spanless ${config.stage}: everything except the sensors' own subnets`,
    networkServices: config.mirror.amazonDns ? ["amazon-dns"] : [],
    tags: { Name: `${names.base}-all-but-sensors` },
  });
  for (const rule of filterRules(rejectRanges)) {
    new aws.ec2.TrafficMirrorFilterRule(rule.name, {
      trafficMirrorFilterId: mirrorFilter.id,
      description: rule.description,
      trafficDirection: rule.direction,
      ruleAction: rule.action,
      ruleNumber: rule.ruleNumber,
      sourceCidrBlock: rule.sourceCidrBlock,
      destinationCidrBlock: rule.destinationCidrBlock,
    });
  }
  return { mirrorTarget, mirrorFilter };
}
