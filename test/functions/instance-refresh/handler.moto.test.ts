// End-to-end behaviour of the instance-refresh handler against moto_server (SSM, EC2 launch templates, Auto
// Scaling groups, DynamoDB, SNS) with the instance refresh APIs simulated (moto lacks them).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { loadEvent, parameterChange, refreshEvent } from "./support/fixtures.js";
import { type SnsInbox, startSnsInbox } from "./support/sns-inbox.js";
import { ALARMS, buildWorld, DEBOUNCE_SECONDS, NAMES, SECRETS, type World } from "./support/world.js";

const WINDOW_MS = DEBOUNCE_SECONDS * 1000;
const TICK = loadEvent("scheduled-event");

describe("instance-refresh handler (moto_server)", () => {
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
    // Whatever a test did, no secret may have reached a log line, a metric or a notification.
    const everything = [
      ...stdout.rawLines(),
      ...inbox.messages.map((m) => `${m.subject}\n${m.message}`),
    ].join("\n");
    expect(everything).not.toContain(SECRETS.pushSecret);
    expect(everything).not.toContain(SECRETS.hmac);
  });

  it("rolls a burst of ten parameter changes out as exactly one refresh", async () => {
    // Prepare: an operator edits all four parameters, some twice, within 45 seconds
    const keys = ["collector-url", "push-token", "proxy", "os-sensor-hmac"] as const;
    const newValues = {
      "collector-url": "https://collector-2.example.com/ingest",
      "push-token": `fleet-b:${SECRETS.pushSecret}`,
      proxy: "http://proxy.internal:3128",
      "os-sensor-hmac": SECRETS.hmac.toUpperCase(),
    };
    const results = [];
    // Act
    for (let i = 0; i < 10; i++) {
      const key = keys[i % keys.length];
      await world.putParameter(key, newValues[key]);
      results.push(await world.send(parameterChange(NAMES[key])));
      world.advance(5_000);
      results.push(await world.send(TICK));
    }
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    world.advance(60_000);
    const after = await world.send(TICK);
    // Assess
    expect(results.filter((r) => r.outcome === "buffered")).toHaveLength(10);
    expect(results.filter((r) => r.outcome === "wait")).toHaveLength(10);
    expect(started.outcome).toBe("started");
    expect(after.outcome).toBe("idle");
    expect(world.sim.startRequests).toHaveLength(1);
    const version = started.outcome === "started" ? started.launchTemplateVersion : 0;
    expect(await world.launchTemplatePins(version)).toEqual({
      "collector-url": { name: NAMES["collector-url"], version: 4 },
      "push-token": { name: NAMES["push-token"], version: 4 },
      proxy: { name: NAMES.proxy, version: 3 },
      "os-sensor-hmac": { name: NAMES["os-sensor-hmac"], version: 3 },
    });
    expect(stdout.metric("RefreshStarted") ?? 0).toBe(1);
    expect(stdout.metric("ConfigChangeReceived") ?? 0).toBe(10);
    // The secret check in afterEach is only meaningful if the Powertools log lines really are captured.
    expect(stdout.rawLines().some((l) => l.includes('"message":"instance refresh started"'))).toBe(true);
  });

  it("starts the refresh with launch-before-terminate, auto-rollback, the alarms and the numbered version", async () => {
    // Prepare
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    // Act
    const result = await world.send(TICK);
    // Assess
    const version = result.outcome === "started" ? result.launchTemplateVersion : -1;
    expect(version).toBe(2);
    expect(world.sim.startRequests[0]).toMatchObject({
      AutoScalingGroupName: "spanless-prod-sensors",
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: world.launchTemplateId, Version: "2" } },
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        AutoRollback: true,
        SkipMatching: false,
        AlarmSpecification: { Alarms: ALARMS },
      },
    });
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0].subject).toBe("[spanless prod] Sensor config rollout started (push-token)");
    expect(inbox.messages[0].message).toContain("/spanless/prod/push-token:2");
  });

  it("rejects an invalid value: zero refreshes and exactly one notification naming the problem", async () => {
    // Prepare: a token pasted without its label (the whole value is the secret) and an http collector
    await world.putParameter("push-token", SECRETS.pushSecret);
    await world.putParameter("collector-url", "http://collector.example.com/ingest");
    await world.send(parameterChange(NAMES["push-token"]));
    await world.send(parameterChange(NAMES["collector-url"]));
    const versionsBefore = await world.launchTemplateVersionCount();
    // Act: the debounced evaluation, then more ticks that must stay silent
    world.advance(WINDOW_MS);
    const evaluated = await world.send(TICK);
    world.advance(60_000);
    const later = await world.send(TICK);
    // Assess
    expect(evaluated.outcome).toBe("invalid");
    expect(later.outcome).toBe("idle");
    expect(world.sim.startRequests).toHaveLength(0);
    expect(await world.launchTemplateVersionCount()).toBe(versionsBefore);
    expect(inbox.messages).toHaveLength(1);
    const [notice] = inbox.messages;
    expect(notice.subject).toBe("[spanless prod] Sensor config invalid, not rolled out (2 problems)");
    expect(notice.message).toContain("/spanless/prod/collector-url: must use https://");
    expect(notice.message).toContain("/spanless/prod/push-token: must have the form label:secret");
    expect(stdout.metric("ConfigInvalid") ?? 0).toBe(1);
  });

  it("alarms when a required parameter is deleted, and does not roll out", async () => {
    // Prepare
    await world.deleteParameter("push-token");
    await world.send(loadEvent("parameter-store-change-delete"));
    world.advance(WINDOW_MS);
    // Act
    const result = await world.send(TICK);
    // Assess
    expect(result.outcome).toBe("invalid");
    expect(result.outcome === "invalid" && result.problems.map((p) => [p.parameter, p.code])).toEqual([
      ["/spanless/prod/push-token", "missing"],
    ]);
    expect(world.sim.startRequests).toHaveLength(0);
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0].message).toContain(
      "/spanless/prod/push-token: does not exist, but it is required",
    );
    expect(stdout.metric("ConfigInvalid") ?? 0).toBe(1);
  });

  it("queues a change that arrives during a running refresh and rolls it after that refresh ends", async () => {
    // Prepare: a first rollout is running
    await world.putParameter("collector-url", "https://collector-2.example.com/ingest");
    await world.send(parameterChange(NAMES["collector-url"]));
    world.advance(WINDOW_MS);
    const first = await world.send(TICK);
    const firstId = first.outcome === "started" ? first.refreshId : "";
    world.sim.setStatus(firstId, "InProgress");
    // Act: a second change while it runs, then ticks, then the first refresh succeeds
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const whileRunning = await world.send(TICK);
    world.advance(60_000);
    const stillRunning = await world.send(TICK);
    await world.sim.succeed(firstId);
    const onSuccess = await world.send(refreshEvent("succeeded", firstId));
    // Assess
    expect(first.outcome).toBe("started");
    expect(whileRunning).toEqual({ outcome: "queued", behind: firstId });
    expect(stillRunning).toEqual({ outcome: "queued", behind: firstId });
    expect(world.sim.startRequests).toHaveLength(2);
    const second = onSuccess.outcome === "reported" ? onSuccess.followUp : undefined;
    expect(second?.outcome).toBe("started");
    const secondVersion = second?.outcome === "started" ? second.launchTemplateVersion : 0;
    expect(secondVersion).toBe(3);
    expect((await world.launchTemplatePins(secondVersion))?.["push-token"]).toEqual({
      name: NAMES["push-token"],
      version: 2,
    });
    expect((await world.launchTemplatePins(secondVersion))?.["collector-url"]?.version).toBe(2);
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout started (collector-url)",
      "[spanless prod] Sensor config rollout succeeded",
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
    expect(inbox.messages[1].message).toContain("/spanless/prod/collector-url:2");
    expect(stdout.metric("RefreshQueued") ?? 0).toBe(2);
  });

  it("keeps the change queued when StartInstanceRefresh races with a refresh started elsewhere", async () => {
    // Prepare
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    world.sim.rejectNextStart = true;
    // Act
    const raced = await world.send(TICK);
    world.advance(60_000);
    const retried = await world.send(TICK);
    // Assess
    expect(raced.outcome).toBe("queued");
    expect(retried.outcome).toBe("started");
    expect(world.sim.startRequests).toHaveLength(2);
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
  });

  it("does nothing when the pinned versions already match (e.g. a label moved)", async () => {
    // Prepare
    await world.send(loadEvent("parameter-store-change-label"));
    world.advance(WINDOW_MS);
    // Act
    const result = await world.send(TICK);
    // Assess
    expect(result.outcome).toBe("unchanged");
    expect(world.sim.startRequests).toHaveLength(0);
    expect(inbox.messages).toHaveLength(0);
  });

  it("reports a failed refresh and its rollback with what changed and the AWS reason", async () => {
    // Prepare
    await world.putParameter("collector-url", "https://collector-2.example.com/ingest");
    await world.send(parameterChange(NAMES["collector-url"]));
    world.advance(WINDOW_MS);
    const started = await world.send(TICK);
    const id = started.outcome === "started" ? started.refreshId : "";
    inbox.clear();
    // Act
    world.sim.setStatus(
      id,
      "RollbackInProgress",
      "Alarm spanless-prod-sensors-healthy-us-east-1a went to ALARM",
    );
    const failed = await world.send(refreshEvent("failed", id));
    world.sim.setStatus(id, "RollbackSuccessful", "Rollback completed");
    const rolledBack = await world.send(refreshEvent("rollback-succeeded", id));
    // Assess
    expect(failed).toEqual({ outcome: "reported", phase: "Failed", refreshId: id });
    // The group is back on version 1 (older pins): that drift is the failed config, settled, not rolled again.
    expect(rolledBack).toEqual({
      outcome: "reported",
      phase: "Rollback Succeeded",
      refreshId: id,
      followUp: { outcome: "idle", drift: "settled" },
    });
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout failed",
      "[spanless prod] Sensor config rollout was rolled back",
    ]);
    expect(inbox.messages[0].message).toContain("went to ALARM");
    expect(inbox.messages[1].message).toContain("/spanless/prod/collector-url:2");
    expect(stdout.metric("RefreshRolledBack") ?? 0).toBe(1);
  });

  it("waits (notifying once) while an Availability Zone has no healthy sensor, then rolls once it has one", async () => {
    // Prepare: cross-zone is off and the only sensor in us-east-1b is unhealthy
    const group = await world.deps.fleet.describeGroup();
    const zoneB = group.instances.find((i) => i.availabilityZone === "us-east-1b")!;
    await world.setInstanceHealth(zoneB.instanceId, "Unhealthy");
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    // Act
    const first = await world.send(TICK);
    world.advance(60_000);
    const second = await world.send(TICK);
    await world.setInstanceHealth(zoneB.instanceId, "Healthy");
    world.advance(60_000);
    const third = await world.send(TICK);
    // Assess
    expect(first).toMatchObject({ outcome: "blocked", notified: true });
    expect(second).toMatchObject({ outcome: "blocked", notified: false });
    expect(third.outcome).toBe("started");
    expect(world.sim.startRequests).toHaveLength(1);
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout waiting: group not safe to refresh",
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
    expect(inbox.messages[0].message).toContain("Availability Zone us-east-1b has no healthy sensor");
  });

  it("refuses to guess where to pin when the launch template's user data has no pin block", async () => {
    // Prepare
    const version = await world.useUserData("#!/bin/bash\nexec /opt/spanless/bin/spanless-boot\n");
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    // Act
    const result = await world.send(TICK);
    // Assess
    expect(result).toMatchObject({ outcome: "blocked", notified: true });
    expect(world.sim.startRequests).toHaveLength(0);
    expect(inbox.messages[0].message).toContain(
      `launch template ${world.launchTemplateId} version ${version}: the launch template's user data has no spanless-config-pins block`,
    );
  });

  it("lets the operator fix an invalid value: the corrected version rolls out", async () => {
    // Prepare: an invalid token was reported
    await world.putParameter("push-token", "fleet-b:tooShort");
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const rejected = await world.send(TICK);
    // Act: the operator saves a corrected version
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const rolled = await world.send(TICK);
    // Assess
    expect(rejected.outcome).toBe("invalid");
    expect(rolled.outcome).toBe("started");
    const version = rolled.outcome === "started" ? rolled.launchTemplateVersion : 0;
    expect((await world.launchTemplatePins(version))?.["push-token"]?.version).toBe(3);
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config invalid, not rolled out (1 problem)",
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
  });

  it("rolls out on the change event itself when the debounce window is 0", async () => {
    // Prepare
    await moto.reset();
    inbox.clear();
    world = await buildWorld(moto, inbox, { DEBOUNCE_WINDOW_SECONDS: "0" });
    await world.putParameter("proxy", "http://proxy.internal:3128");
    // Act
    const result = await world.send(loadEvent("parameter-store-change-create"));
    // Assess
    expect(result.outcome).toBe("started");
    expect(world.sim.startRequests).toHaveLength(1);
  });

  it("steps aside while another invocation holds the rollout lease", async () => {
    // Prepare
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    await world.deps.store.acquireLease(world.now(), 60_000);
    // Act
    const whileHeld = await world.send(TICK);
    world.advance(61_000);
    const afterExpiry = await world.send(TICK);
    // Assess
    expect(whileHeld).toEqual({ outcome: "busy" });
    expect(afterExpiry.outcome).toBe("started");
    expect(world.sim.startRequests).toHaveLength(1);
  });

  it("reports an AWS failure once, keeps the change queued and recovers on a later tick", async () => {
    // Prepare: DescribeInstanceRefreshes fails (e.g. throttled past the SDK's retries)
    await world.putParameter("push-token", `fleet-b:${SECRETS.pushSecret}`);
    await world.send(parameterChange(NAMES["push-token"]));
    world.advance(WINDOW_MS);
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    world.sim.failDescribe = throttled;
    // Act
    const first = await world.send(TICK);
    world.advance(60_000);
    const second = await world.send(TICK);
    world.sim.failDescribe = undefined;
    world.advance(60_000);
    const third = await world.send(TICK);
    // Assess
    expect(first.outcome).toBe("error");
    expect(first.outcome === "error" && first.error).toContain("cause: Throttling: Rate exceeded");
    expect(second.outcome).toBe("error");
    expect(third.outcome).toBe("started");
    expect(inbox.messages.map((m) => m.subject)).toEqual([
      "[spanless prod] Sensor config rollout failed to start",
      "[spanless prod] Sensor config rollout started (push-token)",
    ]);
    expect(stdout.metric("RolloutError") ?? 0).toBe(2);
    expect(stdout.rawLines().filter((l) => l.includes('"level":"ERROR"'))).toHaveLength(2);
  });

  it("ignores changes to parameters that are not sensor configuration and unknown events", async () => {
    // Prepare
    const foreign = loadEvent("parameter-store-change-foreign");
    // Act
    const a = await world.send(foreign);
    const b = await world.send({ hello: "world" });
    world.advance(WINDOW_MS);
    const c = await world.send(TICK);
    // Assess
    expect(a.outcome).toBe("ignored");
    expect(b.outcome).toBe("ignored");
    expect(c.outcome).toBe("idle");
  });
});
