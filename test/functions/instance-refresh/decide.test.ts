import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pinsFor, sensorParameterNames } from "../../../contracts/config/index.js";
import { parseConfig } from "../../../functions/instance-refresh/config.js";
import {
  azCoverageBlockers,
  buildStartInstanceRefreshInput,
  decideOnTick,
  decideRollout,
  launchTemplateVersionDescription,
  noticeFingerprint,
  outcomeOfPhase,
  rolloutBlockers,
  VERSION_DESCRIPTION_MAX_LENGTH,
} from "../../../functions/instance-refresh/decide.js";
import { REFRESH_PHASES } from "../../../functions/instance-refresh/events.js";
import type { AsgView, RolloutState } from "../../../functions/instance-refresh/types.js";

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
    });
    const changed = decideRollout({
      problems: [],
      activeRefresh: undefined,
      currentPins: older,
      newPins,
      blockers: [],
    });
    // Assess
    expect(unchanged).toEqual({ kind: "unchanged" });
    expect(changed).toEqual({ kind: "roll", changedKeys: ["collector-url", "proxy"] });
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
