// Property tests over random inventories and policies: whatever the starting state, one round of the
// planned actions reaches a fixed point, and the safety rules hold for every action.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isOwned, isSensor, plan } from "../../../functions/mirror-on-launch/decide.js";
import { MAX_SESSIONS_PER_ENI, OWNER_TAG_KEY } from "../../../functions/mirror-on-launch/limits.js";
import type {
  Action,
  EniInfo,
  InstanceInfo,
  InstanceState,
  Inventory,
  Policy,
  SessionInfo,
} from "../../../functions/mirror-on-launch/types.js";
import {
  eniId,
  FILTER,
  instanceId,
  OWNER,
  policy,
  TARGET,
  TARGET_AZ_B,
  VPC_A,
  VPC_B,
} from "./support/builders.js";

const STATES: InstanceState[] = [
  "pending",
  "running",
  "running",
  "running",
  "stopping",
  "stopped",
  "terminated",
];
const TYPES = ["m5.large", "c5.xlarge", "t3.micro", "m6i.large", "c5.metal", "t2.micro"];
const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TAG_CHOICES: Array<[string, string]> = [
  ["env", "prod"],
  ["env", "dev"],
  ["spanless:mirror", "off"],
  ["spanless:role", "sensor"],
  ["aws:autoscaling:groupName", "spanless-sensors"],
  ["team", "blue"],
];
const OWNERS: Array<Record<string, string>> = [
  { [OWNER_TAG_KEY]: OWNER },
  {},
  { [OWNER_TAG_KEY]: "someone-else" },
];
const ENI_TARGET = "tmt-0eeeeeeeeeeeeeee1";
const ACCOUNT = "123456789012";
/** A target owner sees other accounts' sessions; those are never Spanless' own. */
const OTHER_ACCOUNT = "210987654321";

const instanceArb = fc.record({
  state: fc.constantFrom(...STATES),
  instanceType: fc.constantFrom(...TYPES),
  vpcId: fc.constantFrom(VPC_A, VPC_B),
  az: fc.constantFrom(...AZS),
  tags: fc.subarray(TAG_CHOICES, { maxLength: 3 }),
  enis: fc.array(
    fc.record({
      interfaceType: fc.constantFrom("interface", "interface", "interface", "efa"),
      sessions: fc.uniqueArray(
        fc.record({
          sessionNumber: fc.integer({ min: 1, max: 5 }),
          owner: fc.constantFrom(...OWNERS),
          targetId: fc.constantFrom(TARGET, TARGET_AZ_B, ENI_TARGET, "tmt-0gone0000000000001"),
          vni: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
          packetLength: fc.option(fc.constantFrom(64, 8500), { nil: undefined }),
          account: fc.constantFrom(ACCOUNT, ACCOUNT, OTHER_ACCOUNT),
        }),
        { maxLength: MAX_SESSIONS_PER_ENI, selector: (s) => s.sessionNumber },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

const inventoryArb = fc
  .record({
    instances: fc.array(instanceArb, { maxLength: 8 }),
    detachedOwned: fc.nat({ max: 2 }),
    filterPresent: fc.boolean(),
    eniTargetIndex: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
    quotaKnown: fc.boolean(),
  })
  .map((g): Inventory => {
    const instances: InstanceInfo[] = [];
    const enis: EniInfo[] = [];
    const sessions: SessionInfo[] = [];
    let eniSeq = 0;
    let sessionSeq = 0;
    g.instances.forEach((gi, k) => {
      const inst: InstanceInfo = {
        instanceId: instanceId(k + 1),
        instanceType: gi.instanceType,
        state: gi.state,
        vpcId: gi.vpcId,
        subnetId: "subnet-0aa11bb22cc33dd44",
        availabilityZone: gi.az,
        launchTime: "2026-11-20T10:00:00.000Z",
        tags: Object.fromEntries(gi.tags),
      };
      instances.push(inst);
      gi.enis.forEach((ge, d) => {
        eniSeq += 1;
        const id = eniId(eniSeq);
        enis.push({
          eniId: id,
          instanceId: inst.instanceId,
          interfaceType: ge.interfaceType,
          deviceIndex: d,
          vpcId: gi.vpcId,
          availabilityZone: gi.az,
        });
        for (const gs of ge.sessions) {
          sessionSeq += 1;
          sessions.push({
            sessionId: `tms-${sessionSeq.toString(16).padStart(17, "0")}`,
            eniId: id,
            targetId: gs.targetId,
            filterId: FILTER,
            sessionNumber: gs.sessionNumber,
            vni: gs.vni,
            packetLength: gs.packetLength,
            tags: gs.owner,
            ownerId: gs.account,
          });
        }
      });
    });
    for (let n = 0; n < g.detachedOwned; n += 1) {
      sessionSeq += 1;
      sessions.push({
        sessionId: `tms-${sessionSeq.toString(16).padStart(17, "0")}`,
        eniId: eniId(1000 + n),
        targetId: TARGET,
        filterId: FILTER,
        sessionNumber: 1,
        tags: { [OWNER_TAG_KEY]: OWNER },
        ownerId: ACCOUNT,
      });
    }
    const targets = [{ targetId: TARGET }, { targetId: TARGET_AZ_B }];
    if (g.eniTargetIndex !== undefined && enis.length > 0) {
      targets.push({ targetId: ENI_TARGET, eniId: enis[g.eniTargetIndex % enis.length].eniId } as never);
    }
    return {
      instances,
      enis,
      sessions,
      targets,
      filterIds: g.filterPresent ? [FILTER] : [],
      accountSessionCount: g.quotaKnown
        ? sessions.filter((s) => s.ownerId !== OTHER_ACCOUNT).length
        : undefined,
      accountId: ACCOUNT,
      complete: true,
    };
  });

const policyArb = fc
  .record({
    eniScope: fc.constantFrom<Policy["eniScope"]>("primary", "all"),
    targetMode: fc.constantFrom("single", "per-az", "eni"),
    eniTargetSourceLimit: fc.integer({ min: 1, max: 3 }),
    selectProd: fc.boolean(),
    selectMode: fc.constantFrom<Policy["selectMode"]>("all", "any"),
    excludeVpcB: fc.boolean(),
    packetLength: fc.option(fc.constantFrom(64, 128), { nil: undefined }),
    removeOnStop: fc.boolean(),
    quota: fc.integer({ min: 0, max: 30 }),
    preferred: fc.integer({ min: 1, max: 4 }),
  })
  .map((g) =>
    policy({
      eniScope: g.eniScope,
      target:
        g.targetMode === "per-az"
          ? { mode: "per-az", targetsByAz: { "us-east-1a": TARGET, "us-east-1b": TARGET_AZ_B } }
          : { mode: "single", targetId: g.targetMode === "eni" ? ENI_TARGET : TARGET },
      eniTargetSourceLimit: g.eniTargetSourceLimit,
      selectTags: g.selectProd
        ? [
            { key: "env", values: ["prod"] },
            { key: "team", values: [] },
          ]
        : [],
      selectMode: g.selectMode,
      excludeVpcIds: g.excludeVpcB ? [VPC_B] : [],
      packetLength: g.packetLength,
      removeOnStop: g.removeOnStop,
      accountSessionQuota: g.quota,
      preferredSessionNumber: g.preferred,
    }),
  );

/** Independent model of EC2 applying the actions (every call succeeds). */
function simulate(inv: Inventory, actions: readonly Action[], p: Policy): Inventory {
  let sessions = inv.sessions.map((s) => ({ ...s }));
  let created = 0;
  for (const a of actions) {
    if (a.kind === "delete") sessions = sessions.filter((s) => s.sessionId !== a.sessionId);
    else if (a.kind === "modify") {
      const s = sessions.find((x) => x.sessionId === a.sessionId);
      if (!s) throw new Error(`modify of unknown session ${a.sessionId}`);
      if (a.changes.targetId) s.targetId = a.changes.targetId;
      if (a.changes.filterId) s.filterId = a.changes.filterId;
      if (a.changes.vni !== undefined) s.vni = a.changes.vni;
      if (a.changes.packetLength !== undefined) s.packetLength = a.changes.packetLength;
      if (a.changes.removePacketLength) s.packetLength = undefined;
    } else {
      created += 1;
      sessions.push({
        sessionId: `tms-new${created.toString(16).padStart(14, "0")}`,
        eniId: a.eniId,
        targetId: a.targetId,
        filterId: a.filterId,
        sessionNumber: a.sessionNumber,
        vni: a.vni,
        packetLength: a.packetLength,
        tags: { [OWNER_TAG_KEY]: p.ownerTagValue },
        ownerId: inv.accountId,
      });
    }
  }
  const own = sessions.filter((s) => s.ownerId === undefined || s.ownerId === inv.accountId);
  return {
    ...inv,
    sessions,
    accountSessionCount: inv.accountSessionCount === undefined ? undefined : own.length,
  };
}

const RUNS = { numRuns: 300 };

describe("plan properties over random inventories", () => {
  it("is idempotent: after applying the plan, planning again yields no action", () => {
    fc.assert(
      fc.property(inventoryArb, policyArb, (inv, p) => {
        const first = plan(inv, p);
        const second = plan(simulate(inv, first.actions, p), p);
        expect(second.actions).toEqual([]);
      }),
      RUNS,
    );
  });

  it("never leaves an ENI with more than 3 sessions nor two sessions with one number", () => {
    fc.assert(
      fc.property(inventoryArb, policyArb, (inv, p) => {
        const after = simulate(inv, plan(inv, p).actions, p);
        const perEni = new Map<string, number[]>();
        for (const s of after.sessions)
          perEni.set(s.eniId, [...(perEni.get(s.eniId) ?? []), s.sessionNumber]);
        for (const numbers of perEni.values()) {
          expect(numbers.length).toBeLessThanOrEqual(MAX_SESSIONS_PER_ENI);
          expect(new Set(numbers).size).toBe(numbers.length);
        }
      }),
      RUNS,
    );
  });

  it("modifies or deletes only sessions carrying this deployment's ownership tag", () => {
    fc.assert(
      fc.property(inventoryArb, policyArb, (inv, p) => {
        const byId = new Map(inv.sessions.map((s) => [s.sessionId, s]));
        for (const a of plan(inv, p).actions) {
          if (a.kind === "create") continue;
          const s = byId.get(a.sessionId);
          expect(s, `${a.kind} of unknown session`).toBeDefined();
          expect(isOwned(s as SessionInfo, p, inv.accountId)).toBe(true);
          expect((s as SessionInfo).ownerId).not.toBe(OTHER_ACCOUNT);
        }
      }),
      RUNS,
    );
  });

  it("never creates or keeps a session whose source is a sensor or a mirror target ENI", () => {
    fc.assert(
      fc.property(inventoryArb, policyArb, (inv, p) => {
        const targetEnis = new Set(inv.targets.flatMap((t) => (t.eniId ? [t.eniId] : [])));
        const instances = new Map(inv.instances.map((i) => [i.instanceId, i]));
        const sensorEnis = new Set(
          inv.enis
            .filter((e) => e.instanceId && isSensor(instances.get(e.instanceId) as InstanceInfo, p))
            .map((e) => e.eniId),
        );
        const result = plan(inv, p);
        for (const a of result.actions) {
          if (a.kind === "delete") continue;
          expect(targetEnis.has(a.eniId)).toBe(false);
          expect(sensorEnis.has(a.eniId)).toBe(false);
        }
        const after = simulate(inv, result.actions, p);
        for (const s of after.sessions.filter((x) => isOwned(x, p, inv.accountId))) {
          expect(targetEnis.has(s.eniId)).toBe(false);
          expect(sensorEnis.has(s.eniId)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("never plans more creates than the account quota leaves room for", () => {
    fc.assert(
      fc.property(inventoryArb, policyArb, (inv, p) => {
        fc.pre(inv.accountSessionCount !== undefined);
        const result = plan(inv, p);
        const after = simulate(inv, result.actions, p);
        const createdCount = result.actions.filter((a) => a.kind === "create").length;
        if (createdCount > 0) expect(after.accountSessionCount).toBeLessThanOrEqual(p.accountSessionQuota);
      }),
      RUNS,
    );
  });
});
