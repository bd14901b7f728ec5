import { describe, expect, it } from "vitest";
import type { ActionOutcome } from "../../../../functions/mirror-on-launch/adapters/ec2-sessions.js";
import { buildVniMap, sessionsAfter } from "../../../../functions/mirror-on-launch/adapters/s3-vni-map.js";
import {
  eni,
  FILTER,
  instance,
  inventory,
  OWNER,
  owned,
  policy,
  session,
  TARGET,
  VPC_A,
} from "../support/builders.js";

describe("VNI map", () => {
  it("maps VNI and outer source IP to the instance, applying the pass's outcomes", () => {
    // Prepare: one kept session (modified VNI), one deleted, one created, one failed create, one foreign.
    const web = instance(1, { tags: { Name: "web-1" } });
    const db = instance(2);
    const gone = instance(3, { state: "stopped" });
    const ew = eni(1, web);
    const ed = eni(2, db);
    const eg = eni(3, gone);
    const kept = owned(ew.eniId, { vni: 5 });
    const removed = owned(eg.eniId, { vni: 5 });
    const foreign = session(ed.eniId, { vni: 77, sessionNumber: 2 });
    const inv = inventory({
      instances: [web, db, gone],
      enis: [ew, ed, eg],
      sessions: [kept, removed, foreign],
    });
    const outcomes: ActionOutcome[] = [
      {
        action: { kind: "modify", eniId: ew.eniId, sessionId: kept.sessionId, changes: { vni: 900 } },
        status: "done",
      },
      {
        action: { kind: "delete", eniId: eg.eniId, sessionId: removed.sessionId, reason: "instance-stopped" },
        status: "done",
      },
      {
        action: {
          kind: "create",
          instanceId: db.instanceId,
          eniId: ed.eniId,
          targetId: TARGET,
          filterId: FILTER,
          sessionNumber: 1,
          vni: 900,
          clientToken: "t",
        },
        status: "done",
        sessionId: "tms-0ccccccccccccccc1",
      },
    ];
    // Act
    const map = buildVniMap(
      inv,
      sessionsAfter(inv, outcomes, policy()),
      OWNER,
      new Date("2026-11-24T01:00:00Z"),
    );
    // Assess
    expect(map).toEqual({
      version: 1,
      generatedAt: "2026-11-24T01:00:00.000Z",
      owner: OWNER,
      vnis: {
        "900": {
          vpcId: VPC_A,
          sources: {
            [ew.privateIpAddress as string]: {
              eniId: ew.eniId,
              instanceId: web.instanceId,
              subnetId: ew.subnetId,
              availabilityZone: "us-east-1a",
              sessionId: kept.sessionId,
              sessionNumber: 1,
              tags: { Name: "web-1" },
            },
            [ed.privateIpAddress as string]: {
              eniId: ed.eniId,
              instanceId: db.instanceId,
              subnetId: ed.subnetId,
              availabilityZone: "us-east-1a",
              sessionId: "tms-0ccccccccccccccc1",
              sessionNumber: 1,
              tags: {},
            },
          },
        },
      },
    });
  });
});
