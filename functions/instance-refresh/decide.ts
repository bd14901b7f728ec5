// Pure decisions: given facts the handler gathered, what to do. No I/O, no clock: the caller passes
// `now`, so every rule is unit-testable and property-testable.
import type { StartInstanceRefreshCommandInput } from "@aws-sdk/client-auto-scaling";
import {
  type ConfigPins,
  changedPins,
  formatPinnedReference,
  PIN_ABSENT,
  SENSOR_CONFIG_KEYS,
  type SensorConfigKey,
} from "../../contracts/config/index.js";
import type { RefreshPhase } from "./events.js";
import type {
  AsgView,
  DriftDecision,
  DriftFacts,
  LaunchTemplateVersionView,
  NoticeKind,
  RefreshRecord,
  RefreshStatusView,
  RolloutDecision,
  RolloutFacts,
  RolloutState,
  Settings,
  SettledPins,
  TickDecision,
} from "./types.js";

/** Launch before terminate: never fewer healthy sensors than desired, at most twice as many during the swap. */
const MIN_HEALTHY_PERCENTAGE = 100;
const MAX_HEALTHY_PERCENTAGE = 200;
/** Refresh statuses in which AWS rejects a new StartInstanceRefresh (DescribeInstanceRefreshes Status values). */
export const ACTIVE_REFRESH_STATUSES = [
  "Pending",
  "InProgress",
  "Cancelling",
  "RollbackInProgress",
  "Baking",
] as const;

/**
 * Trailing-edge debounce over the durable buffer: roll once no change has arrived for a whole window, or when
 * the first buffered change is older than the maximum delay (so a steady trickle cannot postpone it forever).
 */
export function decideOnTick(state: RolloutState, now: number, settings: Settings): TickDecision {
  if (state.pendingParameters.length === 0 || state.lastChangeAt === undefined) return { action: "idle" };
  const first = state.firstChangeAt ?? state.lastChangeAt;
  if (now - first >= settings.maxDebounceDelayMs) return { action: "evaluate", reason: "max-delay-reached" };
  if (now - state.lastChangeAt >= settings.debounceWindowMs)
    return { action: "evaluate", reason: "quiet-window-elapsed" };
  return {
    action: "wait",
    dueAt: Math.min(state.lastChangeAt + settings.debounceWindowMs, first + settings.maxDebounceDelayMs),
  };
}

/**
 * The rollout decision, in priority order: an invalid config never rolls (and is reported even while a refresh
 * runs, so the operator hears about it at once); then a pin set that already failed at the version in service
 * (settled: never rolled again by itself, so nothing is blocked or queued either); then structural blockers;
 * then one-refresh-at-a-time; then "nothing to do" when the pinned versions already match the group's launch
 * template.
 */
export function decideRollout(facts: RolloutFacts): RolloutDecision {
  if (facts.problems.length > 0) return { kind: "invalid", problems: facts.problems };
  const changedKeys = changedPins(facts.currentPins, facts.newPins);
  if (facts.settled && facts.currentPins !== undefined && changedKeys.length > 0)
    return { kind: "settled", changedKeys };
  if (facts.blockers.length > 0) return { kind: "blocked", reasons: facts.blockers };
  if (facts.activeRefresh) return { kind: "queued", activeRefresh: facts.activeRefresh };
  if (changedKeys.length === 0) return { kind: "unchanged" };
  return { kind: "roll", changedKeys };
}

/** A pin set as one comparable string: `name:version` (or `none`) per key, in key order. */
export function pinSetKey(pins: ConfigPins | Readonly<Record<SensorConfigKey, string>>): string {
  return SENSOR_CONFIG_KEYS.map((key) => {
    const pin = pins[key];
    if (typeof pin === "string") return pin;
    return pin === null || pin === undefined ? PIN_ABSENT : formatPinnedReference(pin);
  }).join(" ");
}

/** Whether `pins` at launch-template `version` is the settled pin set (found invalid, or failed at `version`). */
export function isSettled(
  settled: SettledPins | undefined,
  pins: ConfigPins,
  version: number | undefined,
): boolean {
  if (settled === undefined || settled.pins !== pinSetKey(pins)) return false;
  return settled.launchTemplateVersion === undefined || settled.launchTemplateVersion === version;
}

/**
 * The drift check, run on a tick (and after a refresh ends) when no change is buffered: do the pins of the
 * launch-template version in service equal the current parameter versions? A deploy that changed the launch
 * template writes the stack's own (possibly stale) pins; a rollback restores older ones. Pins that differ are
 * treated like a parameter change, unless exactly this pin set was already found invalid or failed at this
 * version (`settled`), which stops a rollback → roll forward → rollback loop.
 */
export function decideDrift(facts: DriftFacts): DriftDecision {
  const { state } = facts;
  if (state.pendingParameters.length > 0) return { action: "buffered" };
  if (state.leaseUntil !== undefined && state.leaseUntil >= facts.now) return { action: "busy" };
  if (facts.groupPins === undefined) return { action: "no-pins" };
  const changedKeys = changedPins(facts.groupPins, facts.parameterPins);
  if (changedKeys.length === 0) return { action: "in-sync" };
  if (isSettled(state.settled, facts.parameterPins, facts.groupVersion))
    return { action: "settled", changedKeys };
  return { action: "drift", changedKeys };
}

/** `{ key: { inService, current } }` for the keys that differ: versions only, never a value (logs, notices). */
export function describeDrift(
  groupPins: ConfigPins,
  parameterPins: ConfigPins,
  keys: readonly SensorConfigKey[],
): Partial<Record<SensorConfigKey, { inService: string; current: string }>> {
  const inService = describePins(groupPins);
  const current = describePins(parameterPins);
  const out: Partial<Record<SensorConfigKey, { inService: string; current: string }>> = {};
  for (const key of keys) out[key] = { inService: inService[key], current: current[key] };
  return out;
}

/** Refresh phases after which the refresh's pins must not roll again by themselves at the previous version. */
const UNSUCCESSFUL_PHASES: readonly RefreshPhase[] = [
  "Failed",
  "Cancelled",
  "Rollback Started",
  "Rollback Succeeded",
  "Rollback Failed",
];
/** DescribeInstanceRefreshes statuses of a refresh that ended without success. */
const UNSUCCESSFUL_STATUSES = ["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"];

/** Whether a DescribeInstanceRefreshes status is a refresh that ended without success. */
export function endedWithoutSuccess(status: string): boolean {
  return UNSUCCESSFUL_STATUSES.includes(status);
}

/**
 * A refresh this function started failed, was cancelled or rolled back: its pins are settled at the version the
 * group ran before it (a cancel is the operator's word; a rollback says the pins failed on the sensors).
 */
export function settledAfterPhase(
  phase: RefreshPhase,
  record: RefreshRecord | undefined,
): SettledPins | undefined {
  if (!record || !UNSUCCESSFUL_PHASES.includes(phase)) return undefined;
  return {
    pins: pinSetKey(record.pins),
    launchTemplateVersion: record.previousLaunchTemplateVersion,
    reason: `refresh ${record.refreshId} ${phase}`,
  };
}

/**
 * The same, found by the drift check from DescribeInstanceRefreshes when the outcome event was lost (EventBridge
 * delivers best effort): the newest refresh ended without success, and it rolled exactly these pins from
 * exactly this version.
 */
export function settledByLatestRefresh(
  latest: RefreshStatusView | undefined,
  record: RefreshRecord | undefined,
  parameterPins: ConfigPins,
  groupVersion: number,
): SettledPins | undefined {
  if (!latest || !record || !endedWithoutSuccess(latest.status)) return undefined;
  if (record.previousLaunchTemplateVersion !== groupVersion) return undefined;
  if (pinSetKey(record.pins) !== pinSetKey(parameterPins)) return undefined;
  return {
    pins: pinSetKey(record.pins),
    launchTemplateVersion: groupVersion,
    reason: `refresh ${record.refreshId} ${latest.status}`,
  };
}

/**
 * Reasons the group cannot be refreshed safely with auto-rollback. Each is a sentence an operator can act on.
 * `currentVersion` is the group's launch-template version (already resolved), when the group has one.
 */
export function rolloutBlockers(
  asg: AsgView,
  currentVersion: LaunchTemplateVersionView | undefined,
  settings: Settings,
  pinBlockError: string | undefined,
): string[] {
  const reasons: string[] = [];
  if (asg.usesMixedInstancesPolicy) {
    reasons.push(
      `Auto Scaling group ${asg.name} uses a mixed instances policy; Spanless rolls out configuration only for ` +
        "groups with a plain launch template",
    );
  } else if (!asg.launchTemplate) {
    reasons.push(
      `Auto Scaling group ${asg.name} has no launch template (launch configurations cannot be versioned)`,
    );
  } else if (!/^\d+$/.test(asg.launchTemplate.versionSpec)) {
    reasons.push(
      `Auto Scaling group ${asg.name} uses launch template version ${asg.launchTemplate.versionSpec}; ` +
        "auto-rollback needs a numbered version, so set the group to a version number (the stack does this)",
    );
  }
  if (currentVersion?.imageId?.startsWith("resolve:ssm:")) {
    reasons.push(
      `launch template ${currentVersion.launchTemplateId} version ${currentVersion.versionNumber} takes its AMI from an ` +
        "SSM parameter (resolve:ssm:); auto-rollback does not support that, so put the AMI ID in the launch template",
    );
  }
  if (pinBlockError) reasons.push(pinBlockError);
  if (!settings.crossZoneEnabled) reasons.push(...azCoverageBlockers(asg, settings));
  return reasons;
}

/**
 * With cross-zone load balancing off, mirrored traffic sent to an AZ without a healthy sensor is lost. Refuse to
 * start when an AZ is already uncovered (its per-AZ health alarm would fail the refresh at once anyway), when the
 * group is too small to keep one sensor per AZ, or when no alarm could stop a refresh that empties an AZ.
 */
export function azCoverageBlockers(asg: AsgView, settings: Settings): string[] {
  const reasons: string[] = [];
  const zones = asg.availabilityZones;
  if (asg.desiredCapacity < zones.length) {
    reasons.push(
      `cross-zone load balancing is off and ${asg.name} wants ${asg.desiredCapacity} sensors for ${zones.length} ` +
        "Availability Zones, so at least one zone has no sensor; raise the desired and minimum capacity to at " +
        `least ${zones.length}`,
    );
  }
  for (const zone of zones) {
    const healthy = asg.instances.filter(
      (i) => i.availabilityZone === zone && i.lifecycleState === "InService" && i.healthStatus === "Healthy",
    ).length;
    if (healthy === 0) {
      reasons.push(
        `cross-zone load balancing is off and Availability Zone ${zone} has no healthy sensor right now; the ` +
          "rollout waits until it has one (check the health notices for that zone), and retries every minute",
      );
    }
  }
  if (settings.alarmNames.length === 0) {
    reasons.push(
      "cross-zone load balancing is off but REFRESH_ALARM_NAMES is empty: without per-AZ sensor health alarms " +
        "nothing would stop a refresh that leaves a zone without a sensor; configure the alarms",
    );
  }
  return reasons;
}

/** The StartInstanceRefresh request: launch before terminate, auto-rollback, alarms, skip-matching off. */
export function buildStartInstanceRefreshInput(
  settings: Settings,
  launchTemplateId: string,
  version: number,
): StartInstanceRefreshCommandInput {
  return {
    AutoScalingGroupName: settings.asgName,
    Strategy: "Rolling",
    DesiredConfiguration: {
      LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: String(version) },
    },
    Preferences: {
      MinHealthyPercentage: MIN_HEALTHY_PERCENTAGE,
      MaxHealthyPercentage: MAX_HEALTHY_PERCENTAGE,
      AutoRollback: true,
      // Off on purpose: only user data changed, and skip matching cannot see that the pinned SSM versions differ.
      SkipMatching: false,
      ...(settings.alarmNames.length > 0 ? { AlarmSpecification: { Alarms: settings.alarmNames } } : {}),
      ...(settings.instanceWarmupSeconds !== undefined
        ? { InstanceWarmup: settings.instanceWarmupSeconds }
        : {}),
      ScaleInProtectedInstances: "Wait",
      StandbyInstances: "Wait",
    },
  };
}

/** `name:version` (or `none`) per key: what the refresh pins, for records and messages. */
export function describePins(pins: ConfigPins): Record<SensorConfigKey, string> {
  const out = {} as Record<SensorConfigKey, string>;
  for (const key of SENSOR_CONFIG_KEYS) {
    const pin = pins[key];
    out[key] = pin === null ? PIN_ABSENT : formatPinnedReference(pin);
  }
  return out;
}

/** EC2 limits VersionDescription to 255 characters. */
export const VERSION_DESCRIPTION_MAX_LENGTH = 255;

export function launchTemplateVersionDescription(changedKeys: SensorConfigKey[], pins: ConfigPins): string {
  const described = describePins(pins);
  const text = `spanless config: ${changedKeys.map((k) => `${k}=${described[k]}`).join(" ")}`;
  return text.length <= VERSION_DESCRIPTION_MAX_LENGTH
    ? text
    : `${text.slice(0, VERSION_DESCRIPTION_MAX_LENGTH - 1)}…`;
}

/**
 * A stable fingerprint of a problem notice: the reasons plus every pinned version, so the same unresolved
 * problem is announced once, and any new parameter version (the operator tried again) is announced again.
 */
export function noticeFingerprint(kind: NoticeKind, reasons: string[], pins: ConfigPins): string {
  return JSON.stringify([kind, [...reasons].sort(), describePins(pins)]);
}

export interface PhaseOutcome {
  notice: NoticeKind | undefined;
  metric: string | undefined;
  /** The refresh is over (successfully or not), so a queued change may roll now. */
  terminal: boolean;
}

/** How each instance refresh phase is reported. Started/checkpoint/baking are progress and only logged. */
export function outcomeOfPhase(phase: RefreshPhase): PhaseOutcome {
  switch (phase) {
    case "Succeeded":
      return { notice: "RefreshSucceeded", metric: "RefreshSucceeded", terminal: true };
    case "Failed":
      // With auto-rollback a failure is followed by Rollback Started; the refresh is not over yet.
      return { notice: "RefreshFailed", metric: "RefreshFailed", terminal: false };
    case "Cancelled":
      return { notice: "RefreshCancelled", metric: "RefreshCancelled", terminal: true };
    case "Rollback Started":
      return { notice: "RefreshRollbackStarted", metric: "RefreshRollbackStarted", terminal: false };
    case "Rollback Succeeded":
      return { notice: "RefreshRolledBack", metric: "RefreshRolledBack", terminal: true };
    case "Rollback Failed":
      return { notice: "RefreshRollbackFailed", metric: "RefreshRollbackFailed", terminal: true };
    case "Started":
    case "Checkpoint Reached":
    case "Started Baking":
      return { notice: undefined, metric: undefined, terminal: false };
  }
}
