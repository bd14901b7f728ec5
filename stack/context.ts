// What the stack's modules hand each other, and what the operations module (stack/operations) builds on.
// Every field is a declared resource or a value derived from the config, never a lookup of live state.
import type { SensorConfigKey } from "../contracts/config/names.js";
import type { StackConfig } from "./config/schema.js";
import type { StackNames } from "./names.js";

type Output<T> = $util.Output<T>;

/** Stack outputs: name → value (shown by `sst deploy`, printed by the inventory). */
export type StackOutputs = Record<string, $util.Input<unknown>>;

export interface Network {
  vpcId: Output<string>;
  /** The VPC's primary CIDR (config). */
  vpcCidr: string;
  /** One sensor (private) subnet per AZ, in `config.azs` order. */
  sensorSubnetIds: Output<string>[];
  /** The sensor subnets' CIDRs, in the same order. */
  sensorSubnetCidrs: string[];
  /** New-VPC mode only: one public subnet per AZ, and their CIDRs. */
  publicSubnetIds: Output<string>[];
  publicSubnetCidrs: string[];
  /** New-VPC mode only: the NAT gateways' public addresses (the collector's firewall allows them). */
  natPublicIps: Output<string>[];
}

export interface Storage {
  kmsKey: aws.kms.Key;
  /** Records (`records/`), PCAPs (`pcaps/`), Athena results (`athena-results/`). */
  bucket: aws.s3.Bucket;
  /** The sensors' log group (`<instance-id>-userdata`, `-sensor`, `-metrics` streams). */
  logGroup: aws.cloudwatch.LogGroup;
}

export interface SensorFleet {
  securityGroup: aws.ec2.SecurityGroup;
  loadBalancer: aws.lb.LoadBalancer;
  targetGroup: aws.lb.TargetGroup;
  listener: aws.lb.Listener;
  mirrorTarget: aws.ec2.TrafficMirrorTarget;
  mirrorFilter: aws.ec2.TrafficMirrorFilter;
  launchTemplate: aws.ec2.LaunchTemplate;
  autoScalingGroup: aws.autoscaling.Group;
  role: aws.iam.Role;
}

export interface StackContext {
  config: StackConfig;
  names: StackNames;
  region: Output<string>;
  accountId: Output<string>;
  partition: Output<string>;
  /** ARN of each sensor configuration parameter (`arn:<p>:ssm:<region>:<account>:parameter/spanless/<stage>/<key>`). */
  parameterArns: Record<SensorConfigKey, Output<string>>;
  network: Network;
  storage: Storage;
  sensors: SensorFleet;
  /**
   * Environment for the mirror-on-launch function's policy, from `config.mirror` (see its README). The
   * target/filter IDs and the sensor ASG name are included; the operations module adds the runtime variables.
   */
  mirrorPolicyEnv: Record<string, $util.Input<string>>;
}
