// The pure decision core: plan(inventory, policy) -> actions. No AWS calls, no clock, no randomness:
// the same inventory and policy always give the same plan, which is what makes the reconciler
// idempotent and the rules testable one by one.
import { clientToken } from "./decide/client-token.js";
import { allocateSessionNumber } from "./decide/session-numbers.js";
import { instanceTypeSupport } from "./decide/unsupported-instance-types.js";
import { findVniCollisions, vniForVpc } from "./decide/vni.js";
import {
  ASG_NAME_TAG_KEY,
  MAX_PACKET_LENGTH,
  MAX_SESSIONS_PER_ENI,
  OWNER_TAG_KEY,
  UNSUPPORTED_MARK_TAG_KEY,
} from "./limits.js";
import type {
  Action,
  CreateAction,
  DeleteAction,
  DeleteReason,
  EniInfo,
  InstanceInfo,
  Inventory,
  ModifyAction,
  Plan,
  Policy,
  SessionInfo,
  Skip,
  SkipReason,
  TagMatcher,
  Tags,
} from "./types.js";

/** What the policy says about one source ENI. */
type Verdict =
  | { kind: "mirror" }
  /** Not wanted as a source: skip it, and delete owned sessions when `deleteReason` is set. */
  | { kind: "exclude"; reason: SkipReason; detail?: string; deleteReason?: DeleteReason }
  /** Wanted, but nothing can be done now (target missing, …): keep whatever exists. */
  | { kind: "hold"; reason: SkipReason; detail?: string };

const STOPPED_STATES = new Set(["stopping", "stopped", "shutting-down", "terminated"]);

/**
 * Spanless' own session: carries this deployment's ownership tag and, when both are known, belongs to
 * this account (as a target owner the account also sees sessions created by other accounts, which may
 * run Spanless with the same tag value).
 */
export function isOwned(session: SessionInfo, policy: Policy, accountId?: string): boolean {
  if (accountId !== undefined && session.ownerId !== undefined && session.ownerId !== accountId) return false;
  return session.tags[OWNER_TAG_KEY] === policy.ownerTagValue;
}

function tagMatches(tags: Tags, matcher: TagMatcher): boolean {
  const value = tags[matcher.key];
  if (value === undefined) return false;
  return matcher.values.length === 0 || matcher.values.includes(value);
}

/** Explicit AND ("all") / OR ("any") over the selector; an empty selector selects everything. */
function selectedByTags(tags: Tags, policy: Policy): boolean {
  if (policy.selectTags.length === 0) return true;
  return policy.selectMode === "all"
    ? policy.selectTags.every((m) => tagMatches(tags, m))
    : policy.selectTags.some((m) => tagMatches(tags, m));
}

export function isSensor(instance: InstanceInfo, policy: Policy): boolean {
  const asg = instance.tags[ASG_NAME_TAG_KEY];
  return (
    (asg !== undefined && policy.sensorAsgNames.includes(asg)) || tagMatches(instance.tags, policy.sensorTag)
  );
}

/** Whether the instance's state allows mirroring now; scope rules are judged before this. */
function judgeState(instance: InstanceInfo, policy: Policy): Verdict {
  if (instance.state === "pending")
    return { kind: "hold", reason: "instance-not-running", detail: "pending" };
  if (STOPPED_STATES.has(instance.state)) {
    return policy.removeOnStop
      ? {
          kind: "exclude",
          reason: "instance-not-running",
          detail: instance.state,
          deleteReason: "instance-stopped",
        }
      : { kind: "hold", reason: "instance-not-running", detail: `${instance.state} (REMOVE_ON_STOP=false)` };
  }
  return { kind: "mirror" };
}

/** Scope rules of the instance itself, in any state: an excluded instance never keeps an owned session. */
function judgeInstance(instance: InstanceInfo, policy: Policy): Verdict {
  const outOfScope = (reason: SkipReason, detail?: string): Verdict => ({
    kind: "exclude",
    reason,
    detail,
    deleteReason: "out-of-scope",
  });
  if (isSensor(instance, policy)) return outOfScope("sensor");
  const vpcId = instance.vpcId;
  if (vpcId === undefined) return outOfScope("vpc-excluded", "instance has no VPC");
  if (policy.excludeVpcIds.includes(vpcId)) return outOfScope("vpc-excluded", vpcId);
  if (policy.includeVpcIds.length > 0 && !policy.includeVpcIds.includes(vpcId)) {
    return outOfScope("vpc-excluded", `${vpcId} not in include list`);
  }
  if (tagMatches(instance.tags, policy.optOutTag)) return outOfScope("opted-out");
  if (!selectedByTags(instance.tags, policy)) return outOfScope("tag-selector-mismatch");
  const support = instanceTypeSupport(instance.instanceType);
  if (!support.supported) {
    return {
      kind: "exclude",
      reason: "unsupported-instance-type",
      detail: `${instance.instanceType}: ${support.why}`,
      deleteReason: "unsupported-instance-type",
    };
  }
  if (instance.tags[UNSUPPORTED_MARK_TAG_KEY] === instance.instanceType) {
    return {
      kind: "exclude",
      reason: "marked-unsupported",
      detail: `EC2 refused ${instance.instanceType} as a source earlier`,
      deleteReason: "unsupported-instance-type",
    };
  }
  return { kind: "mirror" };
}

function judgeEni(eni: EniInfo, instance: InstanceInfo, policy: Policy, targetEniIds: Set<string>): Verdict {
  const outOfScope = (reason: SkipReason, detail?: string): Verdict => ({
    kind: "exclude",
    reason,
    detail,
    deleteReason: "out-of-scope",
  });
  if (targetEniIds.has(eni.eniId)) return outOfScope("mirror-target-eni");
  if (eni.interfaceType !== "interface") return outOfScope("not-interface-type", eni.interfaceType);
  if (policy.eniScope === "primary" && eni.deviceIndex !== 0) {
    return outOfScope("secondary-eni-out-of-scope", `device index ${eni.deviceIndex}`);
  }
  const subnetId = eni.subnetId ?? instance.subnetId;
  if (subnetId !== undefined && policy.excludeSubnetIds.includes(subnetId)) {
    return outOfScope("subnet-excluded", subnetId);
  }
  if (
    policy.includeSubnetIds.length > 0 &&
    (subnetId === undefined || !policy.includeSubnetIds.includes(subnetId))
  ) {
    return outOfScope("subnet-excluded", `${subnetId ?? "no subnet"} not in include list`);
  }
  return { kind: "mirror" };
}

function targetFor(eni: EniInfo, instance: InstanceInfo, policy: Policy): string | undefined {
  if (policy.target.mode === "single") return policy.target.targetId;
  const az = eni.availabilityZone ?? instance.availabilityZone;
  return az === undefined ? undefined : policy.target.targetsByAz[az];
}

/** A session with no PacketLength and one at the NLB default (8500) both mirror whole packets. */
function packetLengthMatches(actual: number | undefined, desired: number | undefined): boolean {
  if (desired === undefined) return actual === undefined || actual === MAX_PACKET_LENGTH;
  return actual === desired;
}

interface Desired {
  targetId: string;
  filterId: string;
  vni: number;
  packetLength?: number;
}

function diff(session: SessionInfo, desired: Desired): ModifyAction["changes"] {
  const changes: ModifyAction["changes"] = {};
  if (session.targetId !== desired.targetId) changes.targetId = desired.targetId;
  if (session.filterId !== desired.filterId) changes.filterId = desired.filterId;
  if (session.vni !== desired.vni) changes.vni = desired.vni;
  if (!packetLengthMatches(session.packetLength, desired.packetLength)) {
    if (desired.packetLength === undefined) changes.removePacketLength = true;
    else changes.packetLength = desired.packetLength;
  }
  return changes;
}

function matchesDesired(session: SessionInfo, desired: Desired): boolean {
  return Object.keys(diff(session, desired)).length === 0;
}

type Where = { instanceId: string; eniId: string };

/** Keep one owned session (a matching one if any, else the lowest number), drop duplicates, fix drift. */
function convergeOwned(
  where: Where,
  owned: readonly SessionInfo[],
  desired: Desired,
): { deletes: DeleteAction[]; modify?: ModifyAction } {
  const keep =
    owned.find((s) => matchesDesired(s, desired)) ??
    [...owned].sort((a, b) => a.sessionNumber - b.sessionNumber)[0];
  const deletes: DeleteAction[] = owned
    .filter((s) => s !== keep)
    .map((s) => ({ kind: "delete", ...where, sessionId: s.sessionId, reason: "duplicate-owned-session" }));
  const changes = diff(keep, desired);
  if (Object.keys(changes).length === 0) return { deletes };
  return { deletes, modify: { kind: "modify", ...where, sessionId: keep.sessionId, changes } };
}

/** A new session beside the foreign ones, within the per-ENI limit and on a free session number. */
function createFor(
  where: Where,
  foreign: readonly SessionInfo[],
  desired: Desired,
  launchTime: string | undefined,
  policy: Policy,
): CreateAction | Skip {
  if (foreign.length >= MAX_SESSIONS_PER_ENI) {
    return { ...where, reason: "eni-session-limit", detail: `${foreign.length} sessions owned by others` };
  }
  const sessionNumber = allocateSessionNumber(
    foreign.map((s) => s.sessionNumber),
    policy.preferredSessionNumber,
  );
  if (sessionNumber === undefined)
    return { ...where, reason: "eni-session-limit", detail: "no free session number" };
  return {
    kind: "create",
    ...where,
    ...desired,
    sessionNumber,
    clientToken: clientToken({ eniId: where.eniId, sessionNumber, launchTime, ...desired }),
  };
}

function byId<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * An ENI-type target accepts a limited number of source ENIs (NLB and GWLB endpoint targets do not).
 * Creates toward a full ENI target become `target-source-limit` skips, counted after this plan's deletes
 * and retargeting modifies. Modifies are not limited here; EC2 answers an overfull one with
 * TrafficMirrorSourcesPerTargetLimitExceeded.
 */
function admitBySourceLimit(
  creates: CreateAction[],
  inventory: Inventory,
  deletes: readonly DeleteAction[],
  modifies: readonly ModifyAction[],
  policy: Policy,
  skips: Skip[],
): CreateAction[] {
  const eniTargets = new Set(inventory.targets.filter((t) => t.eniId !== undefined).map((t) => t.targetId));
  if (eniTargets.size === 0) return creates;
  const deleted = new Set(deletes.map((d) => d.sessionId));
  const retargeted = new Map(
    modifies.flatMap((m) => (m.changes.targetId ? [[m.sessionId, m.changes.targetId]] : [])),
  );
  const sources = new Map<string, Set<string>>();
  const addSource = (targetId: string, eniId: string) => {
    const set = sources.get(targetId) ?? new Set<string>();
    set.add(eniId);
    sources.set(targetId, set);
  };
  for (const s of inventory.sessions) {
    if (!deleted.has(s.sessionId)) addSource(retargeted.get(s.sessionId) ?? s.targetId, s.eniId);
  }
  return creates.filter((c) => {
    const set = sources.get(c.targetId);
    if (!eniTargets.has(c.targetId) || set?.has(c.eniId) || (set?.size ?? 0) < policy.eniTargetSourceLimit) {
      addSource(c.targetId, c.eniId);
      return true;
    }
    skips.push({
      instanceId: c.instanceId,
      eniId: c.eniId,
      reason: "target-source-limit",
      detail: `${c.targetId} already has ${set?.size} source ENIs`,
    });
    return false;
  });
}

export function plan(inventory: Inventory, policy: Policy): Plan {
  const deletes: DeleteAction[] = [];
  const modifies: ModifyAction[] = [];
  let creates: CreateAction[] = [];
  const skips: Skip[] = [];
  let eligibleEnis = 0;
  let mirroredEnis = 0;

  const targetIds = new Set(inventory.targets.map((t) => t.targetId));
  const targetEniIds = new Set(inventory.targets.flatMap((t) => (t.eniId ? [t.eniId] : [])));
  const filterIds = new Set(inventory.filterIds);
  const instancesById = new Map(inventory.instances.map((i) => [i.instanceId, i]));
  const sessionsByEni = new Map<string, SessionInfo[]>();
  for (const s of byId(inventory.sessions, (x) => x.sessionId)) {
    const list = sessionsByEni.get(s.eniId) ?? [];
    list.push(s);
    sessionsByEni.set(s.eniId, list);
  }
  const enisByInstance = new Map<string, EniInfo[]>();
  for (const eni of inventory.enis) {
    if (eni.instanceId === undefined || !instancesById.has(eni.instanceId)) continue;
    const list = enisByInstance.get(eni.instanceId) ?? [];
    list.push(eni);
    enisByInstance.set(eni.instanceId, list);
  }

  const deleteOwned = (eniId: string, instanceId: string | undefined, reason: DeleteReason) => {
    for (const s of sessionsByEni.get(eniId) ?? []) {
      if (isOwned(s, policy, inventory.accountId))
        deletes.push({ kind: "delete", instanceId, eniId, sessionId: s.sessionId, reason });
    }
  };

  const attachedEniIds = new Set<string>();
  for (const instance of byId(inventory.instances, (i) => i.instanceId)) {
    const instanceVerdict = judgeInstance(instance, policy);
    const enis = (enisByInstance.get(instance.instanceId) ?? []).sort(
      (a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0) || (a.eniId < b.eniId ? -1 : 1),
    );
    for (const eni of enis) {
      attachedEniIds.add(eni.eniId);
      let verdict = instanceVerdict;
      if (verdict.kind === "mirror") verdict = judgeEni(eni, instance, policy, targetEniIds);
      if (verdict.kind === "mirror") verdict = judgeState(instance, policy);
      const skip = (reason: SkipReason, detail?: string) =>
        skips.push({ instanceId: instance.instanceId, eniId: eni.eniId, reason, detail });
      if (verdict.kind === "exclude") {
        skip(verdict.reason, verdict.detail);
        if (verdict.deleteReason) deleteOwned(eni.eniId, instance.instanceId, verdict.deleteReason);
        continue;
      }
      if (verdict.kind === "hold") {
        skip(verdict.reason, verdict.detail);
        continue;
      }

      eligibleEnis += 1;
      const targetId = targetFor(eni, instance, policy);
      if (targetId === undefined) {
        skip("no-target-for-az", eni.availabilityZone ?? instance.availabilityZone ?? "unknown AZ");
        continue;
      }
      if (!targetIds.has(targetId)) {
        skip("target-missing", targetId);
        continue;
      }
      if (!filterIds.has(policy.filterId)) {
        skip("filter-missing", policy.filterId);
        continue;
      }
      const vpcId = eni.vpcId ?? instance.vpcId ?? "";
      const desired: Desired = {
        targetId,
        filterId: policy.filterId,
        vni: vniForVpc(vpcId, policy.vniOverrides),
        packetLength: policy.packetLength,
      };
      const onEni = sessionsByEni.get(eni.eniId) ?? [];
      const owned = onEni.filter((s) => isOwned(s, policy, inventory.accountId));
      const foreign = onEni.filter((s) => !isOwned(s, policy, inventory.accountId));
      const where = { instanceId: instance.instanceId, eniId: eni.eniId };
      if (owned.length > 0) {
        const converged = convergeOwned(where, owned, desired);
        deletes.push(...converged.deletes);
        if (converged.modify) modifies.push(converged.modify);
        else mirroredEnis += 1;
        continue;
      }
      const created = createFor(where, foreign, desired, instance.launchTime, policy);
      if ("reason" in created) skips.push(created);
      else creates.push(created);
    }
  }

  // Owned sessions whose ENI is no longer attached to a known instance (a detached secondary ENI with
  // DeleteOnTermination=false keeps billing). Only judged when the inventory is complete, or when the
  // inventory itself shows the ENI detached.
  const detachedEniIds = new Set(
    inventory.enis.filter((e) => e.instanceId === undefined).map((e) => e.eniId),
  );
  for (const [eniId, sessions] of sessionsByEni) {
    if (attachedEniIds.has(eniId)) continue;
    if (!inventory.complete && !detachedEniIds.has(eniId)) continue;
    for (const s of sessions) {
      if (isOwned(s, policy, inventory.accountId)) {
        deletes.push({ kind: "delete", eniId, sessionId: s.sessionId, reason: "eni-detached" });
      }
    }
  }

  creates = admitBySourceLimit(creates, inventory, deletes, modifies, policy, skips);

  let quotaHeadroom: number | undefined;
  if (inventory.accountSessionCount !== undefined) {
    const afterDeletes = inventory.accountSessionCount - deletes.length;
    const room = Math.max(0, policy.accountSessionQuota - afterDeletes);
    for (const c of creates.slice(room)) {
      skips.push({ instanceId: c.instanceId, eniId: c.eniId, reason: "account-session-quota" });
    }
    creates = creates.slice(0, room);
    quotaHeadroom = policy.accountSessionQuota - afterDeletes - creates.length;
  }

  const vpcIds = new Set<string>();
  for (const i of inventory.instances) if (i.vpcId) vpcIds.add(i.vpcId);
  const actions: Action[] = [...deletes, ...modifies, ...creates];
  return {
    actions,
    skips,
    eligibleEnis,
    mirroredEnis,
    vniCollisions: findVniCollisions(vpcIds, policy.vniOverrides),
    quotaHeadroom,
  };
}
