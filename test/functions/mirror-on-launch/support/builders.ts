// Small builders for inventories and policies with realistic EC2 IDs, so each test states only the
// facts it is about.
import { OWNER_TAG_KEY } from "../../../../functions/mirror-on-launch/limits.js";
import type {
  EniInfo,
  InstanceInfo,
  Inventory,
  Policy,
  SessionInfo,
  TargetInfo,
} from "../../../../functions/mirror-on-launch/types.js";

export const VPC_A = "vpc-0a1b2c3d4e5f60718";
export const VPC_B = "vpc-0f9e8d7c6b5a49382";
export const SUBNET_A1 = "subnet-0aa11bb22cc33dd44";
export const SUBNET_A2 = "subnet-0ee55ff66aa77bb88";
export const TARGET = "tmt-0c0ffee0c0ffee001";
export const TARGET_AZ_B = "tmt-0c0ffee0c0ffee002";
export const FILTER = "tmf-0f11e7e70f11e7e71";
export const OWNER = "spanless";

export function policy(over: Partial<Policy> = {}): Policy {
  return {
    includeVpcIds: [],
    excludeVpcIds: [],
    includeSubnetIds: [],
    excludeSubnetIds: [],
    selectTags: [],
    selectMode: "all",
    optOutTag: { key: "spanless:mirror", values: ["off"] },
    eniScope: "all",
    sensorAsgNames: ["spanless-sensors"],
    sensorTag: { key: "spanless:role", values: ["sensor"] },
    target: { mode: "single", targetId: TARGET },
    filterId: FILTER,
    vniOverrides: {},
    preferredSessionNumber: 1,
    ownerTagValue: OWNER,
    removeOnStop: true,
    accountSessionQuota: 10_000,
    eniTargetSourceLimit: 10,
    ...over,
  };
}

let counter = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

export function instanceId(n: number): string {
  return `i-0${hex(n, 16)}`;
}
export function eniId(n: number): string {
  return `eni-0${hex(n, 16)}`;
}
export function sessionId(n: number): string {
  return `tms-0${hex(n, 16)}`;
}

export function instance(n: number, over: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    instanceId: instanceId(n),
    instanceType: "m5.large",
    state: "running",
    vpcId: VPC_A,
    subnetId: SUBNET_A1,
    availabilityZone: "us-east-1a",
    launchTime: "2026-11-20T10:00:00.000Z",
    tags: {},
    ...over,
  };
}

export function eni(n: number, inst: InstanceInfo | undefined, over: Partial<EniInfo> = {}): EniInfo {
  return {
    eniId: eniId(n),
    instanceId: inst?.instanceId,
    interfaceType: "interface",
    deviceIndex: 0,
    vpcId: inst?.vpcId ?? VPC_A,
    subnetId: inst?.subnetId ?? SUBNET_A1,
    availabilityZone: inst?.availabilityZone ?? "us-east-1a",
    privateIpAddress: `10.0.${(n >> 8) & 255}.${n & 255}`,
    ...over,
  };
}

export function session(eniIdValue: string, over: Partial<SessionInfo> = {}): SessionInfo {
  counter += 1;
  return {
    sessionId: sessionId(counter),
    eniId: eniIdValue,
    targetId: TARGET,
    filterId: FILTER,
    sessionNumber: 1,
    tags: {},
    ...over,
  };
}

export function owned(eniIdValue: string, over: Partial<SessionInfo> = {}): SessionInfo {
  return session(eniIdValue, { ...over, tags: { [OWNER_TAG_KEY]: OWNER, ...(over.tags ?? {}) } });
}

export function inventory(over: Partial<Inventory> = {}): Inventory {
  const targets: TargetInfo[] = [{ targetId: TARGET }, { targetId: TARGET_AZ_B }];
  return { instances: [], enis: [], sessions: [], targets, filterIds: [FILTER], complete: true, ...over };
}
