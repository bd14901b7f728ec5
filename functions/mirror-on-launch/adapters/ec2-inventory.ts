// Gathers the Inventory plan() needs from EC2 with as few calls as possible: DescribeInstances already
// embeds every attached ENI, so no DescribeNetworkInterfaces is needed; every describe asks for the
// largest page EC2 allows.
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  type DescribeTrafficMirrorSessionsCommandInput,
  DescribeTrafficMirrorTargetsCommand,
  type EC2Client,
  type Instance,
  type Tag,
  type TrafficMirrorSession,
} from "@aws-sdk/client-ec2";
import { awsErrorCode } from "../../shared/errors.js";
import { InventoryError } from "../errors.js";
import { DESCRIBE_PAGE_SIZE, INSTANCE_TAG_KEY } from "../limits.js";
import type {
  EniInfo,
  InstanceInfo,
  InstanceState,
  Inventory,
  SessionInfo,
  Tags,
  TargetInfo,
} from "../types.js";

/** EC2 caps the values of one describe filter; ENI lists longer than this are split. */
const MAX_FILTER_VALUES = 200;

function tagsToRecord(tags: Tag[] | undefined): Tags {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

function toInstanceInfo(instance: Instance): { instance: InstanceInfo; enis: EniInfo[] } {
  const info: InstanceInfo = {
    instanceId: instance.InstanceId ?? "",
    instanceType: instance.InstanceType ?? "unknown",
    state: (instance.State?.Name ?? "pending") as InstanceState,
    vpcId: instance.VpcId,
    subnetId: instance.SubnetId,
    availabilityZone: instance.Placement?.AvailabilityZone,
    launchTime: instance.LaunchTime instanceof Date ? instance.LaunchTime.toISOString() : undefined,
    tags: tagsToRecord(instance.Tags),
  };
  const enis: EniInfo[] = (instance.NetworkInterfaces ?? []).map((n) => ({
    eniId: n.NetworkInterfaceId ?? "",
    instanceId: info.instanceId,
    // Instance-embedded ENIs may omit InterfaceType; an ENI attached to an instance is then "interface".
    interfaceType: n.InterfaceType ?? "interface",
    deviceIndex: n.Attachment?.DeviceIndex,
    vpcId: n.VpcId ?? info.vpcId,
    subnetId: n.SubnetId ?? info.subnetId,
    availabilityZone: info.availabilityZone,
    privateIpAddress: n.PrivateIpAddress,
  }));
  return { instance: info, enis };
}

function toSessionInfo(s: TrafficMirrorSession): SessionInfo {
  return {
    sessionId: s.TrafficMirrorSessionId ?? "",
    eniId: s.NetworkInterfaceId ?? "",
    targetId: s.TrafficMirrorTargetId ?? "",
    filterId: s.TrafficMirrorFilterId ?? "",
    sessionNumber: s.SessionNumber ?? 0,
    vni: s.VirtualNetworkId,
    packetLength: s.PacketLength,
    tags: tagsToRecord(s.Tags),
    ownerId: s.OwnerId,
  };
}

async function describe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new InventoryError(`${what} failed: ${(error as Error).message}`, awsErrorCode(error), {
      cause: error,
    });
  }
}

/** All instances (any state) with their ENIs, or just `instanceIds`. Unknown IDs yield no entry. */
async function describeInstances(
  ec2: EC2Client,
  instanceIds?: string[],
): Promise<{ instances: InstanceInfo[]; enis: EniInfo[]; accountId?: string }> {
  const instances: InstanceInfo[] = [];
  const enis: EniInfo[] = [];
  let accountId: string | undefined;
  let nextToken: string | undefined;
  do {
    // MaxResults cannot be combined with InstanceIds.
    const input: DescribeInstancesCommandInput = instanceIds
      ? { InstanceIds: instanceIds, NextToken: nextToken }
      : { MaxResults: DESCRIBE_PAGE_SIZE, NextToken: nextToken };
    let page: DescribeInstancesCommandOutput;
    try {
      page = await ec2.send(new DescribeInstancesCommand(input));
    } catch (error) {
      if (instanceIds && awsErrorCode(error) === "InvalidInstanceID.NotFound")
        return { instances, enis, accountId };
      throw new InventoryError(`DescribeInstances failed: ${(error as Error).message}`, awsErrorCode(error), {
        cause: error,
      });
    }
    for (const r of page.Reservations ?? []) {
      accountId ??= r.OwnerId;
      for (const i of r.Instances ?? []) {
        const mapped = toInstanceInfo(i);
        instances.push(mapped.instance);
        enis.push(...mapped.enis);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { instances, enis, accountId };
}

/** Every session in the region, or only those matching one describe filter (values split in batches). */
async function describeSessions(
  ec2: EC2Client,
  filter?: { name: string; values: string[] },
): Promise<SessionInfo[]> {
  const batches: (string[] | undefined)[] = [];
  if (filter === undefined) batches.push(undefined);
  else {
    for (let i = 0; i < filter.values.length; i += MAX_FILTER_VALUES) {
      batches.push(filter.values.slice(i, i + MAX_FILTER_VALUES));
    }
  }
  const out: SessionInfo[] = [];
  for (const batch of batches) {
    let nextToken: string | undefined;
    do {
      const input: DescribeTrafficMirrorSessionsCommandInput = {
        MaxResults: DESCRIBE_PAGE_SIZE,
        NextToken: nextToken,
        Filters: batch && filter ? [{ Name: filter.name, Values: batch }] : undefined,
      };
      const page = await describe("DescribeTrafficMirrorSessions", () =>
        ec2.send(new DescribeTrafficMirrorSessionsCommand(input)));
      out.push(...(page.TrafficMirrorSessions ?? []).map(toSessionInfo));
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return out;
}

async function describeTargets(ec2: EC2Client): Promise<TargetInfo[]> {
  const out: TargetInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await describe("DescribeTrafficMirrorTargets", () =>
      ec2.send(
        new DescribeTrafficMirrorTargetsCommand({ MaxResults: DESCRIBE_PAGE_SIZE, NextToken: nextToken }),
      ));
    for (const t of page.TrafficMirrorTargets ?? []) {
      out.push({
        targetId: t.TrafficMirrorTargetId ?? "",
        eniId: t.NetworkInterfaceId,
        nlbArn: t.NetworkLoadBalancerArn,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}

/** `[filterId]` when the filter exists, `[]` when it was deleted (a filter on the ID never errors). */
async function describeFilter(ec2: EC2Client, filterId: string): Promise<string[]> {
  const page = await describe("DescribeTrafficMirrorFilters", () =>
    ec2.send(
      new DescribeTrafficMirrorFiltersCommand({
        Filters: [{ Name: "traffic-mirror-filter-id", Values: [filterId] }],
      }),
    ));
  return (page.TrafficMirrorFilters ?? []).flatMap((f) =>
    f.TrafficMirrorFilterId ? [f.TrafficMirrorFilterId] : [],
  );
}

/** The whole region: used by the reconciler and the backfill. */
export async function gatherFullInventory(ec2: EC2Client, filterId: string): Promise<Inventory> {
  const [{ instances, enis, accountId }, sessions, targets, filterIds] = await Promise.all([
    describeInstances(ec2),
    describeSessions(ec2),
    describeTargets(ec2),
    describeFilter(ec2, filterId),
  ]);
  // Only this account's sessions count against its quota.
  const own = sessions.filter(
    (s) => accountId === undefined || s.ownerId === undefined || s.ownerId === accountId,
  );
  return {
    instances,
    enis,
    sessions,
    targets,
    filterIds,
    accountSessionCount: own.length,
    accountId,
    complete: true,
  };
}

/** ENIs by ID with their current attachment (used only for sessions that lost their instance). */
async function describeEnis(ec2: EC2Client, eniIds: string[]): Promise<EniInfo[]> {
  const page = await describe("DescribeNetworkInterfaces", () =>
    ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "network-interface-id", Values: eniIds }] }),
    ));
  return (page.NetworkInterfaces ?? []).map((n) => ({
    eniId: n.NetworkInterfaceId ?? "",
    instanceId: n.Attachment?.InstanceId,
    interfaceType: n.InterfaceType ?? "interface",
    deviceIndex: n.Attachment?.DeviceIndex,
    vpcId: n.VpcId,
    subnetId: n.SubnetId,
    availabilityZone: n.AvailabilityZone,
    privateIpAddress: n.PrivateIpAddress,
  }));
}

/**
 * Owned sessions tagged with the instance ID. The DescribeTrafficMirrorSessions reference does not list
 * `tag:` filters, so this lookup is best effort: if EC2 rejects the filter, it finds nothing and the
 * reconciler's orphan rule removes those sessions instead.
 */
async function describeSessionsTaggedWith(ec2: EC2Client, instanceId: string): Promise<SessionInfo[]> {
  try {
    return await describeSessions(ec2, { name: `tag:${INSTANCE_TAG_KEY}`, values: [instanceId] });
  } catch (error) {
    if (error instanceof InventoryError && BAD_FILTER_CODES.has(error.errorCode)) return [];
    throw error;
  }
}

const BAD_FILTER_CODES = new Set(["InvalidParameterValue", "InvalidFilter", "InvalidParameter"]);

/**
 * One instance (event mode): its ENIs and the sessions on them. For an instance that is gone or
 * stopping, also owned sessions tagged with its ID whose ENI is no longer attached to it (a secondary
 * ENI with DeleteOnTermination=false outlives the instance and keeps its session billing).
 */
export async function gatherInstanceInventory(
  ec2: EC2Client,
  instanceId: string,
  filterId: string,
): Promise<Inventory> {
  const [{ instances, enis, accountId }, targets, filterIds] = await Promise.all([
    describeInstances(ec2, [instanceId]),
    describeTargets(ec2),
    describeFilter(ec2, filterId),
  ]);
  const eniIds = enis.map((e) => e.eniId);
  const onEnis =
    eniIds.length > 0 ? await describeSessions(ec2, { name: "network-interface-id", values: eniIds }) : [];
  const live = instances.some((i) => i.state === "running" || i.state === "pending");
  const tagged = live ? [] : await describeSessionsTaggedWith(ec2, instanceId);
  const known = new Set(onEnis.map((s) => s.sessionId));
  const strays = tagged.filter((s) => !known.has(s.sessionId) && !eniIds.includes(s.eniId));
  const strayEnis =
    strays.length > 0 ? await describeEnis(ec2, [...new Set(strays.map((s) => s.eniId))]) : [];
  return {
    instances,
    enis: [...enis, ...strayEnis],
    sessions: [...onEnis, ...strays],
    targets,
    filterIds,
    accountId,
    complete: false,
  };
}
