// The DynamoDB state store against moto_server: the properties the handler relies on.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { sensorParameterNames } from "../../../../contracts/config/index.js";
import { DynamoRolloutStore } from "../../../../functions/instance-refresh/adapters/dynamodb.js";
import { useMoto } from "../../../support/moto.js";
import { createStateTable } from "../support/world.js";

const TABLE = "rollout-state";
const names = sensorParameterNames("/spanless/prod");

describe("DynamoRolloutStore (moto_server)", () => {
  const moto = useMoto();

  async function store(): Promise<DynamoRolloutStore> {
    const client = new DynamoDBClient(moto.clientConfig);
    await createStateTable(client, TABLE);
    return new DynamoRolloutStore(client, TABLE, "asg", () => 0);
  }

  // Calls are sequential: each is one UpdateItem, which DynamoDB applies atomically, but moto_server does not
  // serialise concurrent updates of one item, so a concurrent test would measure moto, not this code.
  it("buffers every change in one item, keeping the first and the last change time", async () => {
    // Prepare
    const s = await store();
    // Act
    for (let i = 0; i < 10; i++) await s.recordChange(names[i % 2 ? "proxy" : "push-token"], 1_000 + i);
    const state = await s.get();
    // Assess
    expect(state.pendingParameters).toEqual([names.proxy, names["push-token"]].sort());
    expect(state.changeSeq).toBe(10);
    expect(state.firstChangeAt).toBe(1_000);
    expect(state.lastChangeAt).toBe(1_009);
  });

  it("grants the lease to one caller until it expires or is released", async () => {
    // Prepare
    const s = await store();
    // Act
    const grants = [await s.acquireLease(10_000, 60_000), await s.acquireLease(10_001, 60_000)];
    const whileHeld = await s.acquireLease(20_000, 60_000);
    const afterExpiry = await s.acquireLease(70_001, 60_000);
    await s.releaseLease();
    const afterRelease = await s.acquireLease(70_002, 60_000);
    // Assess
    expect(grants).toEqual([true, false]);
    expect([whileHeld, afterExpiry, afterRelease]).toEqual([false, true, true]);
  });

  it("clears the buffer only if no change arrived since it was read", async () => {
    // Prepare
    const s = await store();
    await s.recordChange(names.proxy, 1);
    const seen = await s.get();
    await s.recordChange(names["push-token"], 2);
    // Act
    const stale = await s.clearPending(seen.changeSeq);
    const fresh = await s.clearPending((await s.get()).changeSeq);
    // Assess
    expect(stale).toBe(false);
    expect(fresh).toBe(true);
    expect((await s.get()).pendingParameters).toEqual([]);
  });

  it("stores and reads back refresh records", async () => {
    // Prepare
    const s = await store();
    const record = {
      refreshId: "r-1",
      asgName: "asg",
      startedAt: 5,
      launchTemplateId: "lt-1",
      launchTemplateVersion: 3,
      previousLaunchTemplateVersion: 2,
      changedKeys: ["proxy" as const],
      pins: { "collector-url": "/a:1", "push-token": "/b:1", proxy: "/c:2", "os-sensor-hmac": "none" },
      triggeredBy: [names.proxy],
    };
    // Act
    await s.saveRefresh(record);
    // Assess
    expect(await s.getRefresh("r-1")).toEqual(record);
    expect(await s.getRefresh("r-2")).toBeUndefined();
  });

  it("stores the settled pins with or without a launch template version, and clears them", async () => {
    // Prepare
    const s = await store();
    const failed = {
      pins: "a:1 b:2 none none",
      launchTemplateVersion: 4,
      reason: "refresh r Rollback Succeeded",
    };
    const invalid = { pins: "a:1 b:3 none none", launchTemplateVersion: undefined, reason: "invalid" };
    // Act
    await s.setSettled(failed);
    const first = (await s.get()).settled;
    await s.setSettled(invalid);
    const second = (await s.get()).settled;
    await s.setSettled(undefined);
    const cleared = (await s.get()).settled;
    // Assess
    expect(first).toEqual(failed);
    expect(second).toEqual(invalid);
    expect(cleared).toBeUndefined();
  });
});
