import { describe, expect, it } from "vitest";
import { clientToken } from "../../../functions/mirror-on-launch/decide/client-token.js";
import { vniForVpc } from "../../../functions/mirror-on-launch/decide/vni.js";
import { plan } from "../../../functions/mirror-on-launch/decide.js";
import { OWNER_TAG_KEY, UNSUPPORTED_MARK_TAG_KEY } from "../../../functions/mirror-on-launch/limits.js";
import type { CreateAction, Plan } from "../../../functions/mirror-on-launch/types.js";
import {
  eni,
  FILTER,
  instance,
  inventory,
  owned,
  policy,
  SUBNET_A1,
  SUBNET_A2,
  session,
  TARGET,
  TARGET_AZ_B,
  VPC_A,
  VPC_B,
} from "./support/builders.js";

const kinds = (p: Plan) => p.actions.map((a) => a.kind);
const skipReasons = (p: Plan) => p.skips.map((s) => s.reason);
const creates = (p: Plan) => p.actions.filter((a): a is CreateAction => a.kind === "create");

describe("plan: creating sessions for running instances", () => {
  it("creates one session on the primary ENI with target, filter, per-VPC VNI and a deterministic token", () => {
    // Prepare
    const i = instance(1);
    const inv = inventory({ instances: [i], enis: [eni(1, i)] });
    // Act
    const result = plan(inv, policy());
    // Assess
    expect(result.actions).toHaveLength(1);
    const c = creates(result)[0];
    expect(c).toMatchObject({
      kind: "create",
      instanceId: i.instanceId,
      eniId: eni(1, i).eniId,
      targetId: TARGET,
      filterId: FILTER,
      sessionNumber: 1,
      vni: vniForVpc(VPC_A),
    });
    expect(c.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(c.clientToken).toBe(
      clientToken({
        eniId: c.eniId,
        targetId: TARGET,
        filterId: FILTER,
        sessionNumber: 1,
        vni: c.vni,
        launchTime: i.launchTime,
      }),
    );
    expect(result.eligibleEnis).toBe(1);
    expect(result.mirroredEnis).toBe(0);
  });

  it("gives a restarted instance (new LaunchTime) a different ClientToken", () => {
    const first = instance(1);
    const restarted = instance(1, { launchTime: "2026-11-21T08:00:00.000Z" });
    const a = creates(plan(inventory({ instances: [first], enis: [eni(1, first)] }), policy()))[0];
    const b = creates(plan(inventory({ instances: [restarted], enis: [eni(1, restarted)] }), policy()))[0];
    expect(a.clientToken).not.toBe(b.clientToken);
  });

  it("mirrors every interface ENI by default and only device index 0 with ENI_SCOPE=primary", () => {
    const i = instance(1);
    const enis = [eni(1, i), eni(2, i, { deviceIndex: 1 })];
    const all = plan(inventory({ instances: [i], enis }), policy());
    const primary = plan(inventory({ instances: [i], enis }), policy({ eniScope: "primary" }));
    expect(creates(all).map((c) => c.eniId)).toEqual([enis[0].eniId, enis[1].eniId]);
    expect(creates(primary).map((c) => c.eniId)).toEqual([enis[0].eniId]);
    expect(primary.skips).toEqual([
      {
        instanceId: i.instanceId,
        eniId: enis[1].eniId,
        reason: "secondary-eni-out-of-scope",
        detail: "device index 1",
      },
    ]);
  });

  it("never uses an ENI that is not of type interface (EFA, trunk, …) as a source", () => {
    const i = instance(1);
    const result = plan(inventory({ instances: [i], enis: [eni(1, i, { interfaceType: "efa" })] }), policy());
    expect(result.actions).toEqual([]);
    expect(skipReasons(result)).toEqual(["not-interface-type"]);
  });

  it("leaves pending instances alone (no create, no delete)", () => {
    const i = instance(1, { state: "pending" });
    const e = eni(1, i);
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [owned(e.eniId)] }), policy());
    expect(result.actions).toEqual([]);
    expect(skipReasons(result)).toEqual(["instance-not-running"]);
  });
});

describe("plan: stop and terminate", () => {
  it("deletes only Spanless-owned sessions of a stopped instance", () => {
    const i = instance(1, { state: "stopped" });
    const e = eni(1, i);
    const mine = owned(e.eniId);
    const theirs = session(e.eniId, { sessionNumber: 2 });
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [mine, theirs] }), policy());
    expect(result.actions).toEqual([
      {
        kind: "delete",
        instanceId: i.instanceId,
        eniId: e.eniId,
        sessionId: mine.sessionId,
        reason: "instance-stopped",
      },
    ]);
  });

  it("keeps sessions of stopped instances when REMOVE_ON_STOP is false", () => {
    const i = instance(1, { state: "stopped" });
    const e = eni(1, i);
    const result = plan(
      inventory({ instances: [i], enis: [e], sessions: [owned(e.eniId)] }),
      policy({ removeOnStop: false }),
    );
    expect(result.actions).toEqual([]);
  });

  it("deletes an owned session whose ENI was detached, whether the inventory is complete or shows it detached", () => {
    const detached = eni(9, undefined);
    const s = owned(detached.eniId);
    const complete = plan(inventory({ sessions: [s] }), policy());
    const partialButKnown = plan(inventory({ enis: [detached], sessions: [s], complete: false }), policy());
    const partialUnknown = plan(inventory({ sessions: [s], complete: false }), policy());
    expect(complete.actions).toEqual([
      { kind: "delete", eniId: detached.eniId, sessionId: s.sessionId, reason: "eni-detached" },
    ]);
    expect(kinds(partialButKnown)).toEqual(["delete"]);
    expect(partialUnknown.actions).toEqual([]);
  });

  it("never treats another account's session as its own, even with the same ownership tag", () => {
    const elsewhere = owned(eni(9, undefined).eniId, { ownerId: "210987654321" });
    const result = plan(inventory({ sessions: [elsewhere], accountId: "123456789012" }), policy());
    expect(result.actions).toEqual([]);
  });

  it("never deletes a foreign session on a detached ENI", () => {
    const result = plan(inventory({ sessions: [session(eni(9, undefined).eniId)] }), policy());
    expect(result.actions).toEqual([]);
  });
});

describe("plan: scope rules", () => {
  const i1 = instance(1, { vpcId: VPC_A, subnetId: SUBNET_A1 });
  const i2 = instance(2, { vpcId: VPC_B, subnetId: SUBNET_A2 });
  const inv = inventory({ instances: [i1, i2], enis: [eni(1, i1), eni(2, i2)] });
  const mirrored = (p: Plan) => creates(p).map((c) => c.instanceId);

  it("honours VPC include and exclude lists", () => {
    expect(mirrored(plan(inv, policy({ includeVpcIds: [VPC_B] })))).toEqual([i2.instanceId]);
    const excluded = plan(inv, policy({ excludeVpcIds: [VPC_B] }));
    expect(mirrored(excluded)).toEqual([i1.instanceId]);
    expect(skipReasons(excluded)).toEqual(["vpc-excluded"]);
  });

  it("honours subnet include and exclude lists", () => {
    expect(mirrored(plan(inv, policy({ includeSubnetIds: [SUBNET_A1] })))).toEqual([i1.instanceId]);
    const excluded = plan(inv, policy({ excludeSubnetIds: [SUBNET_A1] }));
    expect(mirrored(excluded)).toEqual([i2.instanceId]);
    expect(skipReasons(excluded)).toEqual(["subnet-excluded"]);
  });

  it("applies tag selectors with AND (all) and OR (any) semantics", () => {
    const prod = instance(1, { tags: { env: "prod" } });
    const prodPci = instance(2, { tags: { env: "prod", pci: "yes" } });
    const dev = instance(3, { tags: { env: "dev" } });
    const tagged = inventory({
      instances: [prod, prodPci, dev],
      enis: [eni(1, prod), eni(2, prodPci), eni(3, dev)],
    });
    const selector = [
      { key: "env", values: ["prod"] },
      { key: "pci", values: [] },
    ];
    expect(mirrored(plan(tagged, policy({ selectTags: selector, selectMode: "all" })))).toEqual([
      prodPci.instanceId,
    ]);
    expect(mirrored(plan(tagged, policy({ selectTags: selector, selectMode: "any" })))).toEqual([
      prod.instanceId,
      prodPci.instanceId,
    ]);
  });

  it("skips instances carrying the opt-out tag and deletes their owned sessions", () => {
    const i = instance(1, { tags: { "spanless:mirror": "off" } });
    const e = eni(1, i);
    const s = owned(e.eniId);
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [s] }), policy());
    expect(result.actions).toEqual([
      {
        kind: "delete",
        instanceId: i.instanceId,
        eniId: e.eniId,
        sessionId: s.sessionId,
        reason: "out-of-scope",
      },
    ]);
    expect(skipReasons(result)).toEqual(["opted-out"]);
  });
});

describe("plan: never mirror the sensors or mirror targets", () => {
  it("skips instances of the sensor Auto Scaling group and those with the sensor tag", () => {
    const byAsg = instance(1, { tags: { "aws:autoscaling:groupName": "spanless-sensors" } });
    const byTag = instance(2, { tags: { "spanless:role": "sensor" } });
    const other = instance(3, { tags: { "aws:autoscaling:groupName": "web" } });
    const result = plan(
      inventory({ instances: [byAsg, byTag, other], enis: [eni(1, byAsg), eni(2, byTag), eni(3, other)] }),
      policy(),
    );
    expect(creates(result).map((c) => c.instanceId)).toEqual([other.instanceId]);
    expect(skipReasons(result)).toEqual(["sensor", "sensor"]);
  });

  it("never makes an ENI that is a mirror target a source, and removes an owned session from it", () => {
    const i = instance(1);
    const e = eni(1, i);
    const s = owned(e.eniId);
    const inv = inventory({
      instances: [i],
      enis: [e],
      sessions: [s],
      targets: [{ targetId: TARGET }, { targetId: "tmt-0e0e0e0e0e0e0e0e0", eniId: e.eniId }],
    });
    const result = plan(inv, policy());
    expect(result.actions).toEqual([
      {
        kind: "delete",
        instanceId: i.instanceId,
        eniId: e.eniId,
        sessionId: s.sessionId,
        reason: "out-of-scope",
      },
    ]);
    expect(skipReasons(result)).toEqual(["mirror-target-eni"]);
  });
});

describe("plan: targets, filter, truncation and VNI", () => {
  it("picks the target of the ENI's Availability Zone and skips AZs without one", () => {
    const a = instance(1, { availabilityZone: "us-east-1a" });
    const b = instance(2, { availabilityZone: "us-east-1b" });
    const c = instance(3, { availabilityZone: "us-east-1c" });
    const inv = inventory({ instances: [a, b, c], enis: [eni(1, a), eni(2, b), eni(3, c)] });
    const result = plan(
      inv,
      policy({
        target: { mode: "per-az", targetsByAz: { "us-east-1a": TARGET, "us-east-1b": TARGET_AZ_B } },
      }),
    );
    expect(creates(result).map((x) => [x.instanceId, x.targetId])).toEqual([
      [a.instanceId, TARGET],
      [b.instanceId, TARGET_AZ_B],
    ]);
    expect(result.skips).toEqual([
      { instanceId: c.instanceId, eniId: eni(3, c).eniId, reason: "no-target-for-az", detail: "us-east-1c" },
    ]);
  });

  it("skips without deleting when the target or the filter is missing", () => {
    const i = instance(1);
    const e = eni(1, i);
    const s = owned(e.eniId);
    const noTarget = plan(inventory({ instances: [i], enis: [e], sessions: [s], targets: [] }), policy());
    const noFilter = plan(inventory({ instances: [i], enis: [e], sessions: [s], filterIds: [] }), policy());
    expect(noTarget.actions).toEqual([]);
    expect(skipReasons(noTarget)).toEqual(["target-missing"]);
    expect(noFilter.actions).toEqual([]);
    expect(skipReasons(noFilter)).toEqual(["filter-missing"]);
  });

  it("modifies an owned session in place when target, filter, VNI or packet length drift", () => {
    const i = instance(1);
    const e = eni(1, i);
    const s = owned(e.eniId, {
      targetId: TARGET_AZ_B,
      filterId: "tmf-0000000000000000a",
      vni: 7,
      packetLength: 100,
    });
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [s] }), policy());
    expect(result.actions).toEqual([
      {
        kind: "modify",
        instanceId: i.instanceId,
        eniId: e.eniId,
        sessionId: s.sessionId,
        changes: { targetId: TARGET, filterId: FILTER, vni: vniForVpc(VPC_A), removePacketLength: true },
      },
    ]);
  });

  it("treats the NLB default packet length (8500) as 'whole packet' and sets a configured truncation", () => {
    const i = instance(1);
    const e = eni(1, i);
    const atDefault = owned(e.eniId, { vni: vniForVpc(VPC_A), packetLength: 8500 });
    const noop = plan(inventory({ instances: [i], enis: [e], sessions: [atDefault] }), policy());
    const truncate = plan(
      inventory({ instances: [i], enis: [e], sessions: [atDefault] }),
      policy({ packetLength: 128 }),
    );
    expect(noop.actions).toEqual([]);
    expect(noop.mirroredEnis).toBe(1);
    expect(truncate.actions).toMatchObject([{ kind: "modify", changes: { packetLength: 128 } }]);
  });

  it("uses a pinned VNI from VNI_OVERRIDES and reports VPCs whose derived VNIs collide", () => {
    const a = instance(1, { vpcId: VPC_A });
    const b = instance(2, { vpcId: VPC_B });
    const inv = inventory({ instances: [a, b], enis: [eni(1, a), eni(2, b)] });
    const pinned = plan(inv, policy({ vniOverrides: { [VPC_A]: 4242, [VPC_B]: 4242 } }));
    expect(creates(pinned).map((c) => c.vni)).toEqual([4242, 4242]);
    expect(pinned.vniCollisions).toEqual([{ vni: 4242, vpcIds: [VPC_A, VPC_B].sort() }]);
    expect(plan(inv, policy()).vniCollisions).toEqual([]);
  });
});

describe("plan: the three-sessions-per-ENI limit and session numbers", () => {
  it("skips an ENI that already has three foreign sessions", () => {
    const i = instance(1);
    const e = eni(1, i);
    const foreign = [1, 2, 3].map((n) => session(e.eniId, { sessionNumber: n }));
    const result = plan(inventory({ instances: [i], enis: [e], sessions: foreign }), policy());
    expect(result.actions).toEqual([]);
    expect(skipReasons(result)).toEqual(["eni-session-limit"]);
    expect(result.eligibleEnis).toBe(1);
  });

  it("allocates the preferred number when free, else the next free one, never a foreign one", () => {
    const i = instance(1);
    const e = eni(1, i);
    const foreign = [session(e.eniId, { sessionNumber: 1 }), session(e.eniId, { sessionNumber: 2 })];
    expect(
      creates(plan(inventory({ instances: [i], enis: [e], sessions: foreign }), policy()))[0].sessionNumber,
    ).toBe(3);
    const at10 = [session(e.eniId, { sessionNumber: 10 })];
    const p10 = policy({ preferredSessionNumber: 10 });
    expect(
      creates(plan(inventory({ instances: [i], enis: [e], sessions: at10 }), p10))[0].sessionNumber,
    ).toBe(11);
    const top = [session(e.eniId, { sessionNumber: 32766 })];
    const pTop = policy({ preferredSessionNumber: 32766 });
    expect(
      creates(plan(inventory({ instances: [i], enis: [e], sessions: top }), pTop))[0].sessionNumber,
    ).toBe(32765);
  });

  it("treats a session owned by another Spanless deployment as foreign", () => {
    const i = instance(1);
    const e = eni(1, i);
    const other = session(e.eniId, { tags: { [OWNER_TAG_KEY]: "spanless-staging" } });
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [other] }), policy());
    expect(kinds(result)).toEqual(["create"]);
    expect(creates(result)[0].sessionNumber).toBe(2);
  });

  it("keeps the matching owned session and deletes duplicates", () => {
    const i = instance(1);
    const e = eni(1, i);
    const stale = owned(e.eniId, { sessionNumber: 1, vni: 5 });
    const good = owned(e.eniId, { sessionNumber: 2, vni: vniForVpc(VPC_A) });
    const result = plan(inventory({ instances: [i], enis: [e], sessions: [stale, good] }), policy());
    expect(result.actions).toEqual([
      {
        kind: "delete",
        instanceId: i.instanceId,
        eniId: e.eniId,
        sessionId: stale.sessionId,
        reason: "duplicate-owned-session",
      },
    ]);
    expect(result.mirroredEnis).toBe(1);
  });
});

describe("plan: unsupported instance types", () => {
  it("skips denylisted families and bare metal with a reason, and removes owned sessions", () => {
    const nitro = instance(1, { instanceType: "m6i.large" });
    const metal = instance(2, { instanceType: "c5.metal" });
    const t2 = instance(3, { instanceType: "t2.micro" });
    const e1 = eni(1, nitro);
    const s = owned(e1.eniId);
    const result = plan(
      inventory({ instances: [nitro, metal, t2], enis: [e1, eni(2, metal), eni(3, t2)], sessions: [s] }),
      policy(),
    );
    expect(result.actions).toEqual([
      {
        kind: "delete",
        instanceId: nitro.instanceId,
        eniId: e1.eniId,
        sessionId: s.sessionId,
        reason: "unsupported-instance-type",
      },
    ]);
    expect(skipReasons(result)).toEqual([
      "unsupported-instance-type",
      "unsupported-instance-type",
      "unsupported-instance-type",
    ]);
    expect(result.skips[1].detail).toContain("bare metal");
    expect(result.eligibleEnis).toBe(0);
  });

  it("skips an instance EC2 refused earlier, until its type changes", () => {
    const marked = instance(1, {
      instanceType: "m5.large",
      tags: { [UNSUPPORTED_MARK_TAG_KEY]: "m5.large" },
    });
    const resized = instance(2, {
      instanceType: "m5.xlarge",
      tags: { [UNSUPPORTED_MARK_TAG_KEY]: "m5.large" },
    });
    const result = plan(
      inventory({ instances: [marked, resized], enis: [eni(1, marked), eni(2, resized)] }),
      policy(),
    );
    expect(skipReasons(result)).toEqual(["marked-unsupported"]);
    expect(creates(result).map((c) => c.instanceId)).toEqual([resized.instanceId]);
  });
});

describe("plan: sources per ENI target", () => {
  it("stops creating toward an ENI target at its source limit, counting this plan's deletes", () => {
    const sensorTarget = "tmt-0e0e0e0e0e0e0e0e1";
    const sensorEni = "eni-0ffffffffffffffff";
    const is = [1, 2, 3, 4].map((n) => instance(n));
    const stopped = instance(5, { state: "stopped" });
    const eStopped = eni(5, stopped);
    const inv = inventory({
      instances: [...is, stopped],
      enis: [...is.map((i, k) => eni(k + 1, i)), eStopped],
      sessions: [
        session(eni(1, is[0]).eniId, { targetId: sensorTarget, sessionNumber: 5 }),
        owned(eStopped.eniId, { targetId: sensorTarget }),
      ],
      targets: [{ targetId: sensorTarget, eniId: sensorEni }],
    });
    const result = plan(
      inv,
      policy({ target: { mode: "single", targetId: sensorTarget }, eniTargetSourceLimit: 3 }),
    );
    // eni 1 already feeds the target (foreign session), the stopped ENI's slot is freed: 2 more fit.
    expect(creates(result).map((c) => c.eniId)).toEqual([
      eni(1, is[0]).eniId,
      eni(2, is[1]).eniId,
      eni(3, is[2]).eniId,
    ]);
    expect(result.skips).toContainEqual({
      instanceId: is[3].instanceId,
      eniId: eni(4, is[3]).eniId,
      reason: "target-source-limit",
      detail: `${sensorTarget} already has 3 source ENIs`,
    });
  });
});

describe("plan: account session quota", () => {
  it("creates only what fits under the quota, counting planned deletes, and reports the headroom", () => {
    const running = [1, 2, 3].map((n) => instance(n));
    const stopped = instance(4, { state: "stopped" });
    const eStopped = eni(4, stopped);
    const inv = inventory({
      instances: [...running, stopped],
      enis: [...running.map((i, k) => eni(k + 1, i)), eStopped],
      sessions: [owned(eStopped.eniId)],
      accountSessionCount: 9_999,
    });
    const result = plan(inv, policy());
    expect(kinds(result)).toEqual(["delete", "create", "create"]);
    expect(skipReasons(result)).toContain("account-session-quota");
    expect(result.quotaHeadroom).toBe(0);
  });

  it("is deterministic: the same input gives the same plan", () => {
    const is = [3, 1, 2].map((n) => instance(n));
    const inv = inventory({ instances: is, enis: is.map((i, k) => eni(k + 10, i)) });
    expect(plan(inv, policy())).toEqual(plan(structuredClone(inv), policy()));
  });
});
