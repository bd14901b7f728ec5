// The drift check against moto_server: with nothing buffered, every tick compares the pins of the launch-template
// version in service with the current parameter versions, and rolls the current, validated versions out when a
// deploy (or anything else) left the group on other pins — without looping after a rollback.
import { DescribeInstanceRefreshesCommand } from "@aws-sdk/client-auto-scaling";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pinsFor } from "../../../contracts/config/index.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { loadEvent, parameterChange, refreshEvent } from "./support/fixtures.js";
import { type SnsInbox, startSnsInbox } from "./support/sns-inbox.js";
import { buildWorld, DEBOUNCE_SECONDS, NAMES, NEW_IMAGE_ID, SECRETS, type World } from "./support/world.js";

const WINDOW_MS = DEBOUNCE_SECONDS * 1000;
const TICK = loadEvent("scheduled-event");
/** What the stack renders from the default `sensors.initialVersions`: version 1 of every parameter here. */
const STACK_PINS = pinsFor(NAMES, { "collector-url": 1, "push-token": 1, proxy: 1, "os-sensor-hmac": 1 });
const DRIFT_LOG =
  "launch template pins differ from the current parameter versions; rolling the current ones out";

describe("instance-refresh drift check (moto_server)", () => {
  const moto = useMoto();
  let inbox: SnsInbox;
  let world: World;
  let stdout: CapturedTelemetry;

  beforeAll(async () => {
    inbox = await startSnsInbox();
  });
  afterAll(async () => {
    await inbox?.close();
  });
  beforeEach(async () => {
    inbox.clear();
    world = await buildWorld(moto, inbox);
    stdout = captureTelemetry();
  });
  afterEach(() => {
    stdout.restore();
    const everything = [
      ...stdout.rawLines(),
      ...inbox.messages.map((m) => `${m.subject}\n${m.message}`),
    ].join("\n");
    expect(everything).not.toContain(SECRETS.pushSecret);
    expect(everything).not.toContain(SECRETS.hmac);
  });

  /** Rotates the push token through the normal path and lets the refresh succeed: the group runs version 2. */
  async function rotateAndSucceed(): Promise<number> {
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    if (started.outcome !== "started") throw new Error(`expected a rollout, got ${started.outcome}`);
    await world.sim.succeed(started.refreshId);
    const after = await world.send(refreshEvent("succeeded", started.refreshId));
    expect(after).toMatchObject({ followUp: { outcome: "idle" } });
    return started.launchTemplateVersion;
  }

  it("costs one unencrypted GetParameters a tick while the pins are in sync", async () => {
    // Prepare: the world starts in sync (version 1 of everything, pinned in version 1)
    // Act
    const results = [await world.send(TICK), await world.send(TICK)];
    // Assess
    expect(results).toEqual([{ outcome: "idle" }, { outcome: "idle" }]);
    expect(world.calls.getParameters).toEqual([false, false]);
    expect(world.sim.mock.commandCalls(DescribeInstanceRefreshesCommand)).toHaveLength(0);
    expect(stdout.metric("PinDriftDetected")).toBeUndefined();
  });

  it("re-pins the current versions within a tick of a deploy that changed the launch template, keeping its AMI", async () => {
    // Prepare: push-token:2 is in service; then a deploy with a new AMI writes the stack's stale pins (v1)
    await rotateAndSucceed();
    inbox.clear();
    const deployed = await world.deployLaunchTemplate(STACK_PINS, NEW_IMAGE_ID);
    // Act
    const tick = await world.send(TICK);
    world.advance(60_000);
    const whileRefreshing = await world.send(TICK);
    // Assess
    expect(tick).toMatchObject({
      outcome: "started",
      trigger: "pin-drift",
      launchTemplateVersion: deployed + 1,
    });
    expect(whileRefreshing).toEqual({ outcome: "idle", drift: "refresh-running" });
    const created = world.calls.createLaunchTemplateVersion.at(-1);
    expect(created?.SourceVersion).toBe(String(deployed));
    expect(await world.launchTemplatePins(deployed + 1)).toEqual({
      ...STACK_PINS,
      "push-token": { name: NAMES["push-token"], version: 2 },
    });
    expect(world.sim.startRequests.at(-1)).toMatchObject({
      DesiredConfiguration: { LaunchTemplate: { Version: String(deployed + 1) } },
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        AutoRollback: true,
        SkipMatching: false,
      },
    });
    expect(stdout.metric("PinDriftDetected")).toBe(1);
    const [log] = stdout.logs(DRIFT_LOG);
    expect(log).toMatchObject({
      launchTemplateVersion: deployed,
      keys: ["push-token"],
      versions: {
        "push-token": { inService: `${NAMES["push-token"]}:1`, current: `${NAMES["push-token"]}:2` },
      },
    });
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
    expect(inbox.messages[0].message).toContain("Triggered by pin drift");
    // Decryption only once a rollout was being decided.
    expect(world.calls.getParameters.filter((decrypted) => decrypted)).toHaveLength(2);
  });

  it("reports invalid drifted versions once, never rolls them, and stops decrypting them every minute", async () => {
    // Prepare: an invalid token version whose change event was lost (no parameterChange sent)
    await world.putParameter("push-token", "fleet-b:tooShort");
    // Act
    const first = await world.send(TICK);
    const decryptsAfterFirst = world.calls.getParameters.filter((d) => d).length;
    world.advance(60_000);
    const second = await world.send(TICK);
    world.advance(60_000);
    const third = await world.send(TICK);
    // Assess
    expect(first).toMatchObject({ outcome: "invalid", notified: true });
    expect(second).toEqual({ outcome: "idle", drift: "settled" });
    expect(third).toEqual({ outcome: "idle", drift: "settled" });
    expect(world.calls.getParameters.filter((d) => d).length).toBe(decryptsAfterFirst);
    expect(world.sim.startRequests).toHaveLength(0);
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config invalid, not rolled out (1 problem)",
    ]);
    expect(stdout.metric("ConfigInvalid")).toBe(1);
    expect(stdout.metric("PinDriftDetected")).toBe(1);
  });

  it("does not roll forward again after an auto-rollback; a new parameter version does", async () => {
    // Prepare: the rotation's refresh fails and rolls back, so the group stays on version 1 (older pins)
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    const id = started.outcome === "started" ? started.refreshId : "";
    world.sim.setStatus(id, "RollbackInProgress", "Alarm went to ALARM");
    await world.send(refreshEvent("failed", id));
    const duringRollback = await world.send(TICK);
    world.sim.setStatus(id, "RollbackSuccessful", "Rollback completed");
    const rolledBack = await world.send(refreshEvent("rollback-succeeded", id));
    // Act: many ticks later nothing rolls; then the operator saves a fixed token
    const ticks = [];
    for (let i = 0; i < 5; i++) {
      world.advance(60_000);
      ticks.push(await world.send(TICK));
    }
    await world.putParameter("push-token", `fleet-c:${SECRETS.pushSecret}`);
    world.advance(60_000);
    const afterFix = await world.send(TICK);
    // Assess
    expect(duringRollback).toEqual({ outcome: "idle", drift: "settled" });
    expect(rolledBack).toMatchObject({ followUp: { outcome: "idle", drift: "settled" } });
    expect(ticks.every((t) => t.outcome === "idle" && "drift" in t && t.drift === "settled")).toBe(true);
    expect(afterFix).toMatchObject({ outcome: "started", trigger: "pin-drift" });
    expect(world.sim.startRequests).toHaveLength(2);
    const version = afterFix.outcome === "started" ? afterFix.launchTemplateVersion : 0;
    expect((await world.launchTemplatePins(version))?.["push-token"]?.version).toBe(3);
  });

  it("does not loop when the rollback's events were lost: DescribeInstanceRefreshes settles it", async () => {
    // Prepare: a rollout that rolled back while no outcome event reached the function
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    const id = started.outcome === "started" ? started.refreshId : "";
    world.sim.setStatus(id, "RollbackSuccessful", "Rollback completed");
    // Act
    world.advance(60_000);
    const first = await world.send(TICK);
    world.advance(60_000);
    const second = await world.send(TICK);
    // Assess
    expect(first).toEqual({ outcome: "idle", drift: "settled" });
    expect(second).toEqual({ outcome: "idle", drift: "settled" });
    expect(world.sim.startRequests).toHaveLength(1);
    expect(stdout.metric("PinDriftDetected")).toBeUndefined();
  });

  it("does not retry a re-delivered change event for pins that rolled back at this version", async () => {
    // Prepare
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    const id = started.outcome === "started" ? started.refreshId : "";
    world.sim.setStatus(id, "RollbackSuccessful", "Rollback completed");
    await world.send(refreshEvent("rollback-succeeded", id));
    // Act: EventBridge delivers the old change again
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const redelivered = await world.send(TICK);
    // Assess
    expect(redelivered).toEqual({ outcome: "idle", drift: "settled" });
    expect(world.sim.startRequests).toHaveLength(1);
  });

  it("retries failed pins once on a new launch template version (a deploy may be the fix)", async () => {
    // Prepare: push-token:2 rolled back at version 1
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    const id = started.outcome === "started" ? started.refreshId : "";
    world.sim.setStatus(id, "RollbackSuccessful", "Rollback completed");
    await world.send(refreshEvent("rollback-succeeded", id));
    // Act: a deploy with a new AMI
    const deployed = await world.deployLaunchTemplate(STACK_PINS, NEW_IMAGE_ID);
    world.advance(60_000);
    const retried = await world.send(TICK);
    // Assess
    expect(retried).toMatchObject({
      outcome: "started",
      trigger: "pin-drift",
      launchTemplateVersion: deployed + 1,
    });
    expect(world.sim.startRequests).toHaveLength(2);
  });

  it("does not fight a refresh someone else started, and respects the lease", async () => {
    // Prepare: drift (a deploy with stale pins after a rotation), but an operator's refresh is running
    await rotateAndSucceed();
    await world.deployLaunchTemplate(STACK_PINS, NEW_IMAGE_ID);
    const external = world.sim.startExternal("spanless-prod-sensors");
    world.sim.setStatus(external, "InProgress");
    const starts = world.sim.startRequests.length;
    // Act
    const whileExternal = await world.send(TICK);
    await world.sim.succeed(external);
    await world.deps.store.acquireLease(world.now(), 60_000);
    const whileLeased = await world.send(TICK);
    world.advance(61_000);
    const afterLease = await world.send(TICK);
    // Assess
    expect(whileExternal).toEqual({ outcome: "idle", drift: "refresh-running" });
    expect(whileLeased).toEqual({ outcome: "busy" });
    expect(afterLease.outcome).toBe("started");
    expect(world.sim.startRequests.length).toBe(starts + 1);
  });

  it("leaves a group without a pin block alone on a tick; a rollout still reports it as a blocker", async () => {
    // Prepare
    await world.useUserData("#!/bin/bash\nexec /opt/spanless/bin/spanless-boot\n");
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    // Act
    const tick = await world.send(TICK);
    const readsOnTick = world.calls.getParameters.length;
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const rollout = await world.send(TICK);
    // Assess
    expect(tick).toEqual({ outcome: "idle", drift: "no-pins" });
    expect(readsOnTick).toBe(0);
    expect(rollout).toMatchObject({ outcome: "blocked", notified: true });
    expect(world.sim.startRequests).toHaveLength(0);
  });
});
