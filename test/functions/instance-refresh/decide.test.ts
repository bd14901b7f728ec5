import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pinsFor, sensorParameterNames } from "../../../contracts/config/index.js";
import { parseConfig } from "../../../functions/instance-refresh/config.js";
import {
  azCoverageBlockers,
  buildStartInstanceRefreshInput,
  decideDrift,
  decideOnTick,
  decideRollout,
  describeDrift,
  describePins,
  isSettled,
  launchTemplateVersionDescription,
  noticeFingerprint,
  outcomeOfPhase,
  pinSetKey,
  rolloutBlockers,
  settledAfterPhase,
  settledByLatestRefresh,
  VERSION_DESCRIPTION_MAX_LENGTH,
} from "../../../functions/instance-refresh/decide.js";
import { REFRESH_PHASES } from "../../../functions/instance-refresh/events.js";
import type { AsgView, RefreshRecord, RolloutState } from "../../../functions/instance-refresh/types.js";

const names = sensorParameterNames("/spanless/prod");
const settings = parseConfig({
  SPANLESS_STAGE: "prod",
  SENSOR_ASG_NAME: "spanless-prod-sensors",
  ROLLOUT_STATE_TABLE: "state",
  ONCALL_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oncall",
  DEBOUNCE_WINDOW_SECONDS: "120",
  REFRESH_ALARM_NAMES: "a1, a2",
});
const WINDOW = 120_000;

function state(partial: Partial<RolloutState>): RolloutState {
  return {
    pendingParameters: [],
    firstChangeAt: undefined,
    lastChangeAt: undefined,
    changeSeq: 0,
    leaseUntil: undefined,
    lastNoticeFingerprint: undefined,
    settled: undefined,
    ...partial,
  };
}

function group(partial: Partial<AsgView> = {}): AsgView {
  return {
    name: "spanless-prod-sensors",
    availabilityZones: ["us-east-1a", "us-east-1b"],
    desiredCapacity: 2,
    instances: [
      {
        instanceId: "i-1",
        availabilityZone: "us-east-1a",
        lifecycleState: "InService",
        healthStatus: "Healthy",
      },
      {
        instanceId: "i-2",
        availabilityZone: "us-east-1b",
        lifecycleState: "InService",
        healthStatus: "Healthy",
      },
    ],
    launchTemplate: { launchTemplateId: "lt-1", launchTemplateName: undefined, versionSpec: "4" },
    usesMixedInstancesPolicy: false,
    ...partial,
  };
}

describe("decideOnTick (debounce)", () => {
  it("is idle with nothing buffered", () => {
    // Prepare / Act / Assess
    expect(decideOnTick(state({}), 1_000_000, settings)).toEqual({ action: "idle" });
  });

  it("waits until a whole window passed since the last change, then evaluates", () => {
    // Prepare
    const s = state({ pendingParameters: ["/p"], firstChangeAt: 1_000, lastChangeAt: 50_000 });
    // Act
    const early = decideOnTick(s, 50_000 + WINDOW - 1, settings);
    const due = decideOnTick(s, 50_000 + WINDOW, settings);
    // Assess
    expect(early).toEqual({ action: "wait", dueAt: 50_000 + WINDOW });
    expect(due).toEqual({ action: "evaluate", reason: "quiet-window-elapsed" });
  });

  it("evaluates after the maximum delay even if changes keep trickling in", () => {
    // Prepare: a change every minute for ten minutes
    const s = state({ pendingParameters: ["/p"], firstChangeAt: 0, lastChangeAt: 600_000 });
    // Act
    const decision = decideOnTick(s, 600_000, settings);
    // Assess
    expect(decision).toEqual({ action: "evaluate", reason: "max-delay-reached" });
  });

  it("never evaluates before the window nor later than the max delay (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 900_000 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (changeTimes, now) => {
          // Prepare
          const first = Math.min(...changeTimes);
          const last = Math.max(...changeTimes);
          fc.pre(now >= last);
          const s = state({ pendingParameters: ["/p"], firstChangeAt: first, lastChangeAt: last });
          // Act
          const d = decideOnTick(s, now, settings);
          // Assess
          const quiet = now - last >= WINDOW;
          const overdue = now - first >= settings.maxDebounceDelayMs;
          expect(d.action === "evaluate").toBe(quiet || overdue);
          if (d.action === "wait") expect(d.dueAt).toBeGreaterThan(now);
        },
      ),
    );
  });
});

describe("decideRollout", () => {
  const newPins = pinsFor(names, { "collector-url": 2, "push-token": 1 });
  const samePins = pinsFor(names, { "collector-url": 2, "push-token": 1 });
  const problem = {
    key: "push-token",
    parameter: names["push-token"],
    code: "missing",
    message: "x",
  } as const;

  it("puts an invalid config before everything else, even a running refresh", () => {
    // Prepare / Act
    const d = decideRollout({
      problems: [problem],
      activeRefresh: { refreshId: "r", status: "InProgress" },
      currentPins: undefined,
      newPins,
      blockers: ["b"],
      settled: false,
    });
    // Assess
    expect(d).toEqual({ kind: "invalid", problems: [problem] });
  });

  it("queues behind an active refresh instead of starting one", () => {
    // Prepare / Act
    const d = decideRollout({
      problems: [],
      activeRefresh: { refreshId: "r", status: "RollbackInProgress" },
      currentPins: undefined,
      newPins,
      blockers: [],
      settled: false,
    });
    // Assess
    expect(d).toEqual({ kind: "queued", activeRefresh: { refreshId: "r", status: "RollbackInProgress" } });
  });

  it("does nothing when the pins are already in service, and names the changed keys otherwise", () => {
    // Prepare
    const older = pinsFor(names, { "collector-url": 1, "push-token": 1, proxy: 3 });
    // Act
    const unchanged = decideRollout({
      problems: [],
      activeRefresh: undefined,
      currentPins: samePins,
      newPins,
      blockers: [],
      settled: false,
    });
    const changed = decideRollout({
      problems: [],
      activeRefresh: undefined,
      currentPins: older,
      newPins,
      blockers: [],
      settled: false,
    });
    // Assess
    expect(unchanged).toEqual({ kind: "unchanged" });
    expect(changed).toEqual({ kind: "roll", changedKeys: ["collector-url", "proxy"] });
  });
});

describe("decideRollout with a settled pin set", () => {
  const inService = pinsFor(names, { "collector-url": 1, "push-token": 1 });
  const failed = pinsFor(names, { "collector-url": 1, "push-token": 2 });

  it("does not roll a settled pin set again, and reports no blocker or queue for it", () => {
    // Prepare / Act
    const d = decideRollout({
      problems: [],
      activeRefresh: { refreshId: "r", status: "InProgress" },
      currentPins: inService,
      newPins: failed,
      blockers: ["AZ without a healthy sensor"],
      settled: true,
    });
    // Assess
    expect(d).toEqual({ kind: "settled", changedKeys: ["push-token"] });
  });

  it("still reports an invalid config first, and 'unchanged' wins over settled when nothing differs", () => {
    // Prepare / Act
    const invalid = decideRollout({
      problems: [{ key: "push-token", parameter: names["push-token"], code: "missing", message: "x" }],
      activeRefresh: undefined,
      currentPins: inService,
      newPins: failed,
      blockers: [],
      settled: true,
    });
    const same = decideRollout({
      problems: [],
      activeRefresh: undefined,
      currentPins: inService,
      newPins: inService,
      blockers: [],
      settled: true,
    });
    // Assess
    expect(invalid.kind).toBe("invalid");
    expect(same).toEqual({ kind: "unchanged" });
  });
});

describe("decideDrift (nothing buffered: pins in service vs current parameter versions)", () => {
  const inService = pinsFor(names, { "collector-url": 1, "push-token": 1 });
  const current = pinsFor(names, { "collector-url": 1, "push-token": 3, proxy: 1 });
  const NOW = 1_000_000;

  it("is in sync when the pins equal the current versions", () => {
    // Prepare / Act
    const d = decideDrift({
      state: state({}),
      now: NOW,
      groupPins: inService,
      groupVersion: 4,
      parameterPins: pinsFor(names, { "collector-url": 1, "push-token": 1 }),
    });
    // Assess
    expect(d).toEqual({ action: "in-sync" });
  });

  it("names the keys that differ (a new or removed optional parameter counts)", () => {
    // Prepare / Act
    const d = decideDrift({
      state: state({}),
      now: NOW,
      groupPins: inService,
      groupVersion: 4,
      parameterPins: current,
    });
    // Assess
    expect(d).toEqual({ action: "drift", changedKeys: ["push-token", "proxy"] });
  });

  it("leaves a buffered change to the debounced rollout and steps aside while the lease is held", () => {
    // Prepare
    const facts = { now: NOW, groupPins: inService, groupVersion: 4, parameterPins: current };
    // Act
    const buffered = decideDrift({ ...facts, state: state({ pendingParameters: [names.proxy] }) });
    const busy = decideDrift({ ...facts, state: state({ leaseUntil: NOW + 1 }) });
    const expired = decideDrift({ ...facts, state: state({ leaseUntil: NOW - 1 }) });
    // Assess
    expect(buffered).toEqual({ action: "buffered" });
    expect(busy).toEqual({ action: "busy" });
    expect(expired.action).toBe("drift");
  });

  it("has nothing to compare without a pin block", () => {
    // Prepare / Act
    const d = decideDrift({
      state: state({}),
      now: NOW,
      groupPins: undefined,
      groupVersion: 4,
      parameterPins: current,
    });
    // Assess
    expect(d).toEqual({ action: "no-pins" });
  });

  it("does not roll a pin set that failed at this version again, but does at another version or with new versions", () => {
    // Prepare
    const settled = {
      pins: pinSetKey(current),
      launchTemplateVersion: 4,
      reason: "refresh r Rollback Succeeded",
    };
    const facts = { state: state({ settled }), now: NOW, groupPins: inService };
    // Act
    const same = decideDrift({ ...facts, groupVersion: 4, parameterPins: current });
    const deployed = decideDrift({ ...facts, groupVersion: 5, parameterPins: current });
    const newVersion = decideDrift({
      ...facts,
      groupVersion: 4,
      parameterPins: pinsFor(names, { "collector-url": 1, "push-token": 4, proxy: 1 }),
    });
    // Assess
    expect(same).toEqual({ action: "settled", changedKeys: ["push-token", "proxy"] });
    expect(deployed.action).toBe("drift");
    expect(newVersion.action).toBe("drift");
  });

  it("settles an invalid pin set at every launch template version", () => {
    // Prepare
    const settled = { pins: pinSetKey(current), launchTemplateVersion: undefined, reason: "invalid" };
    // Act / Assess
    expect(isSettled(settled, current, 4)).toBe(true);
    expect(isSettled(settled, current, 9)).toBe(true);
    expect(isSettled(settled, inService, 4)).toBe(false);
    expect(isSettled(undefined, current, 4)).toBe(false);
  });

  it("describes the drift with versions only", () => {
    // Prepare / Act
    const described = describeDrift(inService, current, ["push-token", "proxy"]);
    // Assess
    expect(described).toEqual({
      "push-token": { inService: `${names["push-token"]}:1`, current: `${names["push-token"]}:3` },
      proxy: { inService: "none", current: `${names.proxy}:1` },
    });
  });
});

describe("settling the pins of an unsuccessful refresh", () => {
  const pins = pinsFor(names, { "collector-url": 1, "push-token": 2 });
  const record: RefreshRecord = {
    refreshId: "r-1",
    asgName: "spanless-prod-sensors",
    startedAt: 0,
    launchTemplateId: "lt-1",
    launchTemplateVersion: 5,
    previousLaunchTemplateVersion: 4,
    changedKeys: ["push-token"],
    pins: describePins(pins),
    triggeredBy: [names["push-token"]],
  };

  it("settles at the previous version after a failure, cancel or rollback, never after success or progress", () => {
    // Prepare / Act
    const settledPhases = REFRESH_PHASES.filter((p) => settledAfterPhase(p, record) !== undefined);
    // Assess
    expect(settledPhases).toEqual([
      "Failed",
      "Cancelled",
      "Rollback Started",
      "Rollback Succeeded",
      "Rollback Failed",
    ]);
    expect(settledAfterPhase("Rollback Succeeded", record)).toEqual({
      pins: pinSetKey(pins),
      launchTemplateVersion: 4,
      reason: "refresh r-1 Rollback Succeeded",
    });
    expect(settledAfterPhase("Failed", undefined)).toBeUndefined();
    expect(pinSetKey(record.pins)).toBe(pinSetKey(pins));
  });

  it("finds the same from DescribeInstanceRefreshes when the outcome event was lost", () => {
    // Prepare
    const latest = (status: string) => ({
      refreshId: "r-1",
      status,
      statusReason: undefined,
      percentageComplete: 0,
    });
    // Act / Assess
    expect(settledByLatestRefresh(latest("RollbackSuccessful"), record, pins, 4)?.launchTemplateVersion).toBe(
      4,
    );
    expect(settledByLatestRefresh(latest("Cancelled"), record, pins, 4)).toBeDefined();
    expect(settledByLatestRefresh(latest("Successful"), record, pins, 4)).toBeUndefined();
    expect(settledByLatestRefresh(latest("RollbackSuccessful"), record, pins, 6)).toBeUndefined();
    expect(
      settledByLatestRefresh(
        latest("RollbackSuccessful"),
        record,
        pinsFor(names, { "collector-url": 1, "push-token": 3 }),
        4,
      ),
    ).toBeUndefined();
    expect(settledByLatestRefresh(latest("Failed"), undefined, pins, 4)).toBeUndefined();
  });
});

describe("rollout blockers", () => {
  it("has none for a balanced, healthy group with a numbered launch template and alarms", () => {
    // Prepare / Act / Assess
    expect(rolloutBlockers(group(), undefined, settings, undefined)).toEqual([]);
  });

  it.each([
    [
      { launchTemplate: { launchTemplateId: "lt-1", launchTemplateName: undefined, versionSpec: "$Latest" } },
      "$Latest",
    ],
    [{ launchTemplate: undefined }, "no launch template"],
    [{ usesMixedInstancesPolicy: true }, "mixed instances policy"],
    [{ desiredCapacity: 1 }, "wants 1 sensors for 2 Availability Zones"],
  ] as const)("blocks %j", (override, text) => {
    // Prepare / Act
    const reasons = rolloutBlockers(group(override as Partial<AsgView>), undefined, settings, undefined);
    // Assess
    expect(reasons.join("\n")).toContain(text);
  });

  it("blocks a launch template whose AMI comes from an SSM parameter (no auto-rollback)", () => {
    // Prepare
    const version = {
      launchTemplateId: "lt-1",
      versionNumber: 4,
      userData: "",
      imageId: "resolve:ssm:/ami/latest",
    };
    // Act
    const reasons = rolloutBlockers(group(), version, settings, undefined);
    // Assess
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain("auto-rollback does not support that");
  });

  it("ignores AZ coverage when cross-zone load balancing is on", () => {
    // Prepare
    const crossZone = { ...settings, crossZoneEnabled: true, alarmNames: [] };
    const lopsided = group({ desiredCapacity: 1, instances: [] });
    // Act / Assess
    expect(rolloutBlockers(lopsided, undefined, crossZone, undefined)).toEqual([]);
    expect(azCoverageBlockers(lopsided, crossZone).length).toBeGreaterThan(0);
  });

  it("counts only InService and Healthy sensors per zone", () => {
    // Prepare
    const g = group({
      instances: [
        {
          instanceId: "i-1",
          availabilityZone: "us-east-1a",
          lifecycleState: "InService",
          healthStatus: "Healthy",
        },
        {
          instanceId: "i-2",
          availabilityZone: "us-east-1b",
          lifecycleState: "Pending",
          healthStatus: "Healthy",
        },
        {
          instanceId: "i-3",
          availabilityZone: "us-east-1b",
          lifecycleState: "InService",
          healthStatus: "Unhealthy",
        },
      ],
    });
    // Act
    const reasons = azCoverageBlockers(g, settings);
    // Assess
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain("us-east-1b has no healthy sensor");
  });

  it("requires alarms when cross-zone is off", () => {
    // Prepare / Act
    const reasons = azCoverageBlockers(group(), { ...settings, alarmNames: [] });
    // Assess
    expect(reasons).toEqual([expect.stringContaining("REFRESH_ALARM_NAMES is empty")]);
  });
});

describe("StartInstanceRefresh request", () => {
  it("launches before terminating, rolls back automatically, watches the alarms and never skips matching", () => {
    // Prepare / Act
    const input = buildStartInstanceRefreshInput({ ...settings, instanceWarmupSeconds: 300 }, "lt-0abc", 7);
    // Assess
    expect(input).toEqual({
      AutoScalingGroupName: "spanless-prod-sensors",
      Strategy: "Rolling",
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: "lt-0abc", Version: "7" } },
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        AutoRollback: true,
        SkipMatching: false,
        AlarmSpecification: { Alarms: ["a1", "a2"] },
        InstanceWarmup: 300,
        ScaleInProtectedInstances: "Wait",
        StandbyInstances: "Wait",
      },
    });
  });

  it("omits AlarmSpecification when no alarm names are configured", () => {
    // Prepare / Act
    const input = buildStartInstanceRefreshInput({ ...settings, alarmNames: [] }, "lt-0abc", 7);
    // Assess
    expect(input.Preferences).not.toHaveProperty("AlarmSpecification");
  });
});

describe("small helpers", () => {
  it("keeps the launch template version description within EC2's 255 characters", () => {
    // Prepare
    const longNames = sensorParameterNames(`/${"x".repeat(200)}/prod`);
    const pins = pinsFor(longNames, { "collector-url": 1, "push-token": 2, proxy: 3, "os-sensor-hmac": 4 });
    // Act
    const text = launchTemplateVersionDescription(
      ["collector-url", "push-token", "proxy", "os-sensor-hmac"],
      pins,
    );
    // Assess
    expect(text.length).toBe(VERSION_DESCRIPTION_MAX_LENGTH);
    expect(text.startsWith("spanless config: collector-url=/xxx")).toBe(true);
  });

  it("fingerprints a notice by its reasons and every pinned version", () => {
    // Prepare
    const a = pinsFor(names, { "collector-url": 1, "push-token": 1 });
    const b = pinsFor(names, { "collector-url": 2, "push-token": 1 });
    // Act / Assess
    expect(noticeFingerprint("ConfigInvalid", ["x", "y"], a)).toBe(
      noticeFingerprint("ConfigInvalid", ["y", "x"], a),
    );
    expect(noticeFingerprint("ConfigInvalid", ["x"], a)).not.toBe(
      noticeFingerprint("ConfigInvalid", ["x"], b),
    );
  });

  it("reports terminal phases and lets a queued change roll after them", () => {
    // Prepare / Act
    const terminal = REFRESH_PHASES.filter((p) => outcomeOfPhase(p).terminal);
    const silent = REFRESH_PHASES.filter((p) => outcomeOfPhase(p).notice === undefined);
    // Assess
    expect(terminal).toEqual(["Succeeded", "Cancelled", "Rollback Succeeded", "Rollback Failed"]);
    expect(silent).toEqual(["Started", "Checkpoint Reached", "Started Baking"]);
  });
});
