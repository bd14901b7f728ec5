// Shapes shared by the pure planner, the AWS adapters and the handlers. Inventory types are a
// trimmed, normalised view of EC2 describe output so plan() never sees SDK types.

/** EC2 instance states as reported by DescribeInstances and the state-change event. */
export type InstanceState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";

export type Tags = Readonly<Record<string, string>>;

export interface InstanceInfo {
  instanceId: string;
  instanceType: string;
  state: InstanceState;
  vpcId?: string;
  subnetId?: string;
  availabilityZone?: string;
  /** ISO time of the current start; changes on every stop/start, which keeps ClientTokens fresh per run. */
  launchTime?: string;
  tags: Tags;
}

export interface EniInfo {
  eniId: string;
  /** Instance the ENI is attached to; undefined for a detached ENI. */
  instanceId?: string;
  /** EC2 `InterfaceType`: only `interface` can be a mirror source. */
  interfaceType: string;
  deviceIndex?: number;
  vpcId?: string;
  subnetId?: string;
  availabilityZone?: string;
  privateIpAddress?: string;
}

export interface SessionInfo {
  sessionId: string;
  eniId: string;
  targetId: string;
  filterId: string;
  sessionNumber: number;
  vni?: number;
  packetLength?: number;
  tags: Tags;
  /** Account that owns the session; a target owner also sees sessions of other accounts. */
  ownerId?: string;
}

export interface TargetInfo {
  targetId: string;
  /** Set when the target is an ENI (a standalone sensor); that ENI must never be a source. */
  eniId?: string;
  /** Set when the target is a Network Load Balancer: the listener check looks at its listeners. */
  nlbArn?: string;
}

/**
 * Everything plan() may look at. In event mode it holds one instance and the sessions on its ENIs;
 * in reconcile mode the whole region. `accountSessionCount` is only known in reconcile mode.
 */
export interface Inventory {
  instances: InstanceInfo[];
  enis: EniInfo[];
  sessions: SessionInfo[];
  targets: TargetInfo[];
  filterIds: string[];
  accountSessionCount?: number;
  /** This account's ID (from DescribeInstances); sessions of other accounts are never Spanless' own. */
  accountId?: string;
  /** True when `sessions` lists every session in the region (so orphans can be judged). */
  complete: boolean;
}

export interface TagMatcher {
  key: string;
  /** Empty: the tag only has to be present. */
  values: string[];
}

export type TargetPolicy =
  | { mode: "single"; targetId: string }
  | { mode: "per-az"; targetsByAz: Readonly<Record<string, string>> };

export interface Policy {
  includeVpcIds: string[];
  excludeVpcIds: string[];
  includeSubnetIds: string[];
  excludeSubnetIds: string[];
  /** Empty matchers select every instance. */
  selectTags: TagMatcher[];
  selectMode: "all" | "any";
  optOutTag: TagMatcher;
  eniScope: "primary" | "all";
  sensorAsgNames: string[];
  sensorTag: TagMatcher;
  target: TargetPolicy;
  filterId: string;
  packetLength?: number;
  vniOverrides: Readonly<Record<string, number>>;
  preferredSessionNumber: number;
  ownerTagValue: string;
  removeOnStop: boolean;
  accountSessionQuota: number;
  /** Source ENIs one ENI-type mirror target accepts (10; 100 on the largest instance sizes). */
  eniTargetSourceLimit: number;
}

export type SkipReason =
  | "instance-not-running"
  | "vpc-excluded"
  | "subnet-excluded"
  | "tag-selector-mismatch"
  | "opted-out"
  | "sensor"
  | "mirror-target-eni"
  | "not-interface-type"
  | "secondary-eni-out-of-scope"
  | "unsupported-instance-type"
  | "marked-unsupported"
  | "eni-session-limit"
  | "no-target-for-az"
  | "target-missing"
  | "filter-missing"
  | "account-session-quota"
  | "target-source-limit";

export type DeleteReason =
  | "instance-stopped"
  | "out-of-scope"
  | "eni-detached"
  | "duplicate-owned-session"
  | "unsupported-instance-type";

export interface CreateAction {
  kind: "create";
  instanceId: string;
  eniId: string;
  targetId: string;
  filterId: string;
  sessionNumber: number;
  vni: number;
  packetLength?: number;
  clientToken: string;
}

export interface ModifyAction {
  kind: "modify";
  instanceId?: string;
  eniId: string;
  sessionId: string;
  /** Only the fields that differ from the desired session. */
  changes: {
    targetId?: string;
    filterId?: string;
    vni?: number;
    packetLength?: number;
    removePacketLength?: boolean;
  };
}

export interface DeleteAction {
  kind: "delete";
  instanceId?: string;
  eniId: string;
  sessionId: string;
  reason: DeleteReason;
}

export type Action = CreateAction | ModifyAction | DeleteAction;

export interface Skip {
  instanceId?: string;
  eniId?: string;
  reason: SkipReason;
  detail?: string;
}

export interface Plan {
  actions: Action[];
  skips: Skip[];
  /** ENIs the policy wants mirrored (after scope, sensor, type and target rules). */
  eligibleEnis: number;
  /** Eligible ENIs that already carry a correct owned session (no action needed). */
  mirroredEnis: number;
  /** Groups of VPCs whose derived VNI collides; the sensors could not tell them apart. */
  vniCollisions: Array<{ vni: number; vpcIds: string[] }>;
  /** Account session quota minus sessions after this plan; undefined when the count is unknown. */
  quotaHeadroom?: number;
}
