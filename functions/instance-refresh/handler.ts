// The handler: classifies the event, gathers facts through the ports (adapters/), asks the pure functions in
// decide.ts what to do, and does it.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type ConfigPins,
  type ConfigProblem,
  formatProblem,
  keyForParameterName,
  MISSING_PIN_BLOCK_MESSAGE,
  PinFormatError,
  parsePinBlock,
  pinsFor,
  replacePinBlock,
  type SensorParameterNames,
  validateSensorConfig,
} from "../../contracts/config/index.js";
import { describeError } from "../shared/errors.js";
import { flushMetrics, type Telemetry } from "../shared/telemetry.js";
import {
  decideDrift,
  decideOnTick,
  decideRollout,
  describeDrift,
  describePins,
  endedWithoutSuccess,
  isSettled,
  launchTemplateVersionDescription,
  noticeFingerprint,
  outcomeOfPhase,
  pinSetKey,
  rolloutBlockers,
  settledAfterPhase,
  settledByLatestRefresh,
} from "./decide.js";
import { type ClassifiedEvent, classifyEvent } from "./events.js";
import {
  configInvalidNotice,
  refreshOutcomeNotice,
  refreshStartedNotice,
  rolloutBlockedNotice,
  rolloutErrorNotice,
} from "./messages.js";
import { METRIC } from "./metrics.js";
import type {
  AsgView,
  DriftDecision,
  Fleet,
  LaunchTemplateVersionView,
  Notice,
  Notifier,
  ParameterReader,
  RefreshRecord,
  RolloutDecision,
  RolloutState,
  RolloutStore,
  Settings,
} from "./types.js";

/** Longer than the function's timeout (README: at most 120 s), so a crashed invocation's lease expires by itself. */
const ROLLOUT_LEASE_MS = 5 * 60_000;

export interface Deps extends Telemetry {
  settings: Settings;
  names: SensorParameterNames;
  store: RolloutStore;
  parameters: ParameterReader;
  fleet: Fleet;
  notifier: Notifier;
  now: () => number;
}

/** What an invocation did; returned by the handler (visible in tests and in the Lambda console). */
export type HandleResult =
  | { outcome: "ignored"; why: string }
  | { outcome: "buffered"; parameter: string }
  | { outcome: "idle"; drift?: "refresh-running" | "settled" | "no-pins" }
  | { outcome: "wait"; dueAt: number }
  | { outcome: "busy" }
  | { outcome: "invalid"; problems: ConfigProblem[]; notified: boolean }
  | { outcome: "blocked"; reasons: string[]; notified: boolean }
  | { outcome: "queued"; behind: string }
  | { outcome: "unchanged" }
  | { outcome: "started"; refreshId: string; launchTemplateVersion: number; trigger?: "pin-drift" }
  | { outcome: "reported"; phase: string; refreshId: string; followUp?: HandleResult }
  | { outcome: "error"; error: string };

/** The Lambda handler over lazily built dependencies; metrics are flushed after every invocation, even a failed one. */
export function createHandler(getDeps: () => Deps): (event: unknown) => Promise<HandleResult> {
  return async (event: unknown) => {
    // A configuration error thrown here fails the invocation: the deployment is broken, EventBridge retries.
    const deps = getDeps();
    try {
      return await handleEvent(deps, event);
    } finally {
      flushMetrics(deps.metrics);
    }
  };
}

async function handleEvent(deps: Deps, event: unknown): Promise<HandleResult> {
  const classified = classifyEvent(event);
  switch (classified.kind) {
    case "parameter-change":
      return bufferChange(deps, classified);
    case "tick":
      return evaluatePending(deps);
    case "refresh-outcome":
      return reportOutcome(deps, classified);
    case "unknown":
      deps.logger.warn("ignoring event", { why: classified.why });
      return { outcome: "ignored", why: classified.why };
  }
}

async function bufferChange(
  deps: Deps,
  event: Extract<ClassifiedEvent, { kind: "parameter-change" }>,
): Promise<HandleResult> {
  const key = keyForParameterName(deps.names, event.name);
  if (!key) {
    deps.logger.info("ignoring change to a parameter that is not sensor configuration", {
      parameter: event.name,
    });
    return { outcome: "ignored", why: `${event.name} is not a sensor configuration parameter` };
  }
  const parameter = deps.names[key];
  await deps.store.recordChange(parameter, deps.now());
  deps.metrics.addMetric(METRIC.ConfigChangeReceived, MetricUnit.Count, 1);
  deps.logger.info("buffered parameter change", {
    parameter,
    operation: event.operation,
    eventTime: event.time,
  });
  // With no debounce window there is nothing to wait for.
  if (deps.settings.debounceWindowMs === 0) return evaluatePending(deps);
  return { outcome: "buffered", parameter };
}

/**
 * Runs on every tick and after a refresh ends: rolls the buffered changes out once the quiet window passed; with
 * nothing buffered, checks the pins in service against the current parameter versions (`checkDrift`).
 */
async function evaluatePending(deps: Deps): Promise<HandleResult> {
  const { store, settings, logger } = deps;
  const before = await store.get();
  const first = decideOnTick(before, deps.now(), settings);
  if (first.action === "idle") return checkDrift(deps, before);
  if (first.action === "wait") return { outcome: "wait", dueAt: first.dueAt };
  if (!(await store.acquireLease(deps.now(), ROLLOUT_LEASE_MS))) {
    logger.info("another invocation is evaluating the rollout");
    return { outcome: "busy" };
  }
  try {
    // Re-read under the lease: another invocation may have rolled out between our first read and the lease.
    const state = await store.get();
    if (decideOnTick(state, deps.now(), settings).action !== "evaluate") return { outcome: "idle" };
    const gathered = await gatherAndDecide(deps, state);
    return await act(deps, state, gathered, state.pendingParameters);
  } catch (error) {
    return await reportRolloutError(deps, error);
  } finally {
    await store.releaseLease();
  }
}

interface GatheredFacts {
  decision: RolloutDecision;
  newPins: ConfigPins;
  current: LaunchTemplateVersionView | undefined;
}

async function gatherAndDecide(deps: Deps, state: RolloutState): Promise<GatheredFacts> {
  const { parameters, fleet, names, settings } = deps;
  const fetched = await parameters.fetch();
  const newPins = pinsFor(names, fetched.versions);
  const validation = validateSensorConfig(fetched.input, names);
  if (!validation.ok) {
    const decision = decideRollout({
      problems: validation.problems,
      activeRefresh: undefined,
      currentPins: undefined,
      newPins,
      blockers: [],
      settled: false,
    });
    return { decision, newPins, current: undefined };
  }
  const asg = await fleet.describeGroup();
  const current = asg.launchTemplate
    ? await fleet.describeLaunchTemplateVersion(asg.launchTemplate)
    : undefined;
  const read = current ? readGroupPins(current) : {};
  const currentPins = read.pins;
  const pinBlockError = read.error;
  const blockers = rolloutBlockers(asg, current, settings, pinBlockError);
  const activeRefresh = await fleet.findActiveRefresh();
  const settled = isSettled(state.settled, newPins, current?.versionNumber);
  return {
    decision: decideRollout({ problems: [], activeRefresh, currentPins, newPins, blockers, settled }),
    newPins,
    current,
  };
}

/** The group's pins, or undefined with the sentence that makes a missing or malformed block a blocker. */
function readGroupPins(current: LaunchTemplateVersionView): { pins?: ConfigPins; error?: string } {
  try {
    const pins = parsePinBlock(current.userData);
    if (pins === undefined) throw new PinFormatError(MISSING_PIN_BLOCK_MESSAGE);
    return { pins };
  } catch (error) {
    if (!(error instanceof PinFormatError)) throw error;
    return {
      error: `launch template ${current.launchTemplateId} version ${current.versionNumber}: ${error.message}`,
    };
  }
}

/**
 * Does what the decision says. `changed` names the parameters behind it: the buffered ones for a parameter
 * change, the drifted ones for a drift rollout (`trigger`).
 */
async function act(
  deps: Deps,
  state: RolloutState,
  { decision, newPins, current }: GatheredFacts,
  changed: string[],
  trigger?: "pin-drift",
): Promise<HandleResult> {
  const { store, metrics, logger, settings } = deps;
  switch (decision.kind) {
    case "invalid": {
      metrics.addMetric(METRIC.ConfigInvalid, MetricUnit.Count, 1);
      const lines = decision.problems.map(formatProblem);
      logger.warn("sensor configuration invalid; not rolling out", { problems: lines, changed });
      const notified = await notifyOnce(deps, state, noticeFingerprint("ConfigInvalid", lines, newPins), () =>
        configInvalidNotice(settings, decision.problems, changed),
      );
      // The operator must save a new parameter version to fix this, which buffers a new change. Until then the
      // drift check must not decrypt and validate the same versions every minute: they are settled.
      await store.clearPending(state.changeSeq);
      await store.setSettled({
        pins: pinSetKey(newPins),
        launchTemplateVersion: undefined,
        reason: "invalid",
      });
      return { outcome: "invalid", problems: decision.problems, notified };
    }
    case "blocked": {
      metrics.addMetric(METRIC.RolloutBlocked, MetricUnit.Count, 1);
      logger.warn("rollout blocked; keeping the change queued", { reasons: decision.reasons, changed });
      const notified = await notifyOnce(
        deps,
        state,
        noticeFingerprint("RolloutBlocked", decision.reasons, newPins),
        () => rolloutBlockedNotice(settings, decision.reasons, changed),
      );
      return { outcome: "blocked", reasons: decision.reasons, notified };
    }
    case "queued":
      metrics.addMetric(METRIC.RefreshQueued, MetricUnit.Count, 1);
      logger.info("an instance refresh is running; the change rolls out after it", {
        activeRefresh: decision.activeRefresh,
        changed,
      });
      return { outcome: "queued", behind: decision.activeRefresh.refreshId };
    case "unchanged":
      metrics.addMetric(METRIC.RolloutUnchanged, MetricUnit.Count, 1);
      logger.info("pinned parameter versions already in service; nothing to roll out", { changed });
      await store.clearPending(state.changeSeq);
      return { outcome: "unchanged" };
    case "settled":
      logger.info(
        "these parameter versions already failed at the launch template version in service; not rolling them " +
          "again (save a new parameter version to retry)",
        {
          keys: decision.changedKeys,
          launchTemplateVersion: current?.versionNumber,
          settled: state.settled?.reason,
          changed,
        },
      );
      await store.clearPending(state.changeSeq);
      return { outcome: "idle", drift: "settled" };
    case "roll":
      return startRollout(deps, state, decision.changedKeys, newPins, current!, trigger);
  }
}

async function startRollout(
  deps: Deps,
  state: RolloutState,
  changedKeys: Extract<RolloutDecision, { kind: "roll" }>["changedKeys"],
  newPins: ConfigPins,
  current: LaunchTemplateVersionView,
  trigger?: "pin-drift",
): Promise<HandleResult> {
  const { fleet, store, metrics, logger, settings, notifier } = deps;
  const userData = replacePinBlock(current.userData, newPins);
  const version = await fleet.createLaunchTemplateVersion(
    current,
    userData,
    launchTemplateVersionDescription(changedKeys, newPins),
  );
  const started = await fleet.startRefresh(current.launchTemplateId, version);
  if ("inProgress" in started) {
    // Someone started a refresh between our check and our call: keep the change queued, never fail on it.
    metrics.addMetric(METRIC.RefreshQueued, MetricUnit.Count, 1);
    logger.info("StartInstanceRefresh reported a refresh in progress; the change stays queued", { version });
    return { outcome: "queued", behind: "(started concurrently)" };
  }
  const record: RefreshRecord = {
    refreshId: started.refreshId,
    asgName: settings.asgName,
    startedAt: deps.now(),
    launchTemplateId: current.launchTemplateId,
    launchTemplateVersion: version,
    previousLaunchTemplateVersion: current.versionNumber,
    changedKeys,
    pins: describePins(newPins),
    triggeredBy: trigger ? changedKeys.map((k) => deps.names[k]) : state.pendingParameters,
    ...(trigger ? { trigger } : {}),
  };
  await store.saveRefresh(record);
  const cleared = await store.clearPending(state.changeSeq);
  await store.setNoticeFingerprint(undefined);
  await store.setSettled(undefined);
  metrics.addMetric(METRIC.RefreshStarted, MetricUnit.Count, 1);
  logger.info("instance refresh started", { ...record, changesArrivedMeanwhile: !cleared });
  await notifier.publish(refreshStartedNotice(settings, record));
  return {
    outcome: "started",
    refreshId: started.refreshId,
    launchTemplateVersion: version,
    ...(trigger ? { trigger } : {}),
  };
}

interface DriftObservation {
  decision: DriftDecision;
  asg: AsgView;
  current: LaunchTemplateVersionView | undefined;
  groupPins: ConfigPins | undefined;
  parameterPins: ConfigPins;
}

/**
 * The cheap read of the drift check: DescribeAutoScalingGroups, DescribeLaunchTemplateVersions and one
 * GetParameters without decryption (versions only). Nothing is decrypted unless a rollout is being decided.
 */
async function observeDrift(deps: Deps, state: RolloutState): Promise<DriftObservation> {
  const { fleet, parameters, names } = deps;
  const asg = await fleet.describeGroup();
  const current =
    asg.launchTemplate && !asg.usesMixedInstancesPolicy
      ? await fleet.describeLaunchTemplateVersion(asg.launchTemplate)
      : undefined;
  const groupPins = current ? readGroupPins(current).pins : undefined;
  // Without pins to compare there is nothing to read from Parameter Store.
  const parameterPins = pinsFor(names, groupPins ? await parameters.versions() : {});
  const decision = decideDrift({
    state,
    now: deps.now(),
    groupPins,
    groupVersion: current?.versionNumber ?? 0,
    parameterPins,
  });
  return { decision, asg, current, groupPins, parameterPins };
}

/**
 * With nothing buffered: do the pins of the launch-template version in service equal the current parameter
 * versions? A deploy that changed the launch template (AMI, instance type) pins the stack's
 * `sensors.initialVersions`; a rollback restores older pins. Drift is treated like a parameter change (validate,
 * then roll from the version in service, so a new AMI is kept), except while a refresh runs, while another
 * invocation holds the lease, or when exactly these pins are settled (invalid, or failed at this version).
 */
async function checkDrift(deps: Deps, before: RolloutState): Promise<HandleResult> {
  const { logger, metrics, store, fleet, names } = deps;
  if (before.leaseUntil !== undefined && before.leaseUntil >= deps.now()) return { outcome: "busy" };
  let seen: DriftObservation;
  try {
    seen = await observeDrift(deps, before);
    const early = driftResult(deps, seen);
    if (early) return early;
    const drift = seen.decision as Extract<DriftDecision, { action: "drift" }>;
    const overview = await fleet.refreshOverview();
    // During every refresh the group keeps its old version until the refresh succeeds: that is not drift to fix.
    if (overview.active) return { outcome: "idle", drift: "refresh-running" };
    // The outcome event of a failed refresh may have been lost: its pins are settled all the same.
    if (overview.latest && endedWithoutSuccess(overview.latest.status)) {
      const record = await store.getRefresh(overview.latest.refreshId);
      const settled = settledByLatestRefresh(
        overview.latest,
        record,
        seen.parameterPins,
        seen.current?.versionNumber ?? 0,
      );
      if (settled) {
        await store.setSettled(settled);
        logger.warn(
          "the last refresh of these pins ended without success (its event was not seen); not rolling them again",
          {
            ...settled,
          },
        );
        return { outcome: "idle", drift: "settled" };
      }
    }
    metrics.addMetric(METRIC.PinDriftDetected, MetricUnit.Count, 1);
    logger.warn(
      "launch template pins differ from the current parameter versions; rolling the current ones out",
      {
        launchTemplateId: seen.current?.launchTemplateId,
        launchTemplateVersion: seen.current?.versionNumber,
        keys: drift.changedKeys,
        versions: describeDrift(seen.groupPins!, seen.parameterPins, drift.changedKeys),
      },
    );
  } catch (error) {
    return await reportRolloutError(deps, error);
  }
  if (!(await store.acquireLease(deps.now(), ROLLOUT_LEASE_MS))) {
    logger.info("another invocation is evaluating the rollout");
    return { outcome: "busy" };
  }
  try {
    // Re-read and re-observe under the lease: a change may have been buffered, or someone rolled meanwhile.
    const state = await store.get();
    const again = await observeDrift(deps, { ...state, leaseUntil: undefined });
    const early = driftResult(deps, again);
    if (early) return early;
    const drift = again.decision as Extract<DriftDecision, { action: "drift" }>;
    const changed = drift.changedKeys.map((k) => names[k]);
    const gathered = await gatherDriftFacts(deps, state, again);
    return await act(deps, state, gathered, changed, "pin-drift");
  } catch (error) {
    return await reportRolloutError(deps, error);
  } finally {
    await store.releaseLease();
  }
}

/** What the drift check returns when the observation is anything but actionable drift. */
function driftResult(deps: Deps, seen: DriftObservation): HandleResult | undefined {
  switch (seen.decision.action) {
    case "buffered":
    case "in-sync":
      return { outcome: "idle" };
    case "busy":
      return { outcome: "busy" };
    case "no-pins":
      // A rollout reports this as a blocker; the tick has nothing to compare.
      deps.logger.debug("the launch template version in service has no pin block; nothing to compare");
      return { outcome: "idle", drift: "no-pins" };
    case "settled":
      deps.logger.debug("pins differ, but these parameter versions are settled at this version", {
        keys: seen.decision.changedKeys,
      });
      return { outcome: "idle", drift: "settled" };
    case "drift":
      return undefined;
  }
}

/**
 * The drift rollout's facts, cheapest first: blockers from what was already read (no decryption while the
 * group cannot be refreshed), then the decrypted parameters and their validation, then the active refresh.
 */
async function gatherDriftFacts(
  deps: Deps,
  state: RolloutState,
  seen: DriftObservation,
): Promise<GatheredFacts> {
  const { fleet, parameters, names, settings } = deps;
  const current = seen.current;
  const blockers = rolloutBlockers(seen.asg, current, settings, undefined);
  if (blockers.length > 0) {
    const decision = decideRollout({
      problems: [],
      activeRefresh: undefined,
      currentPins: seen.groupPins,
      newPins: seen.parameterPins,
      blockers,
      settled: false,
    });
    return { decision, newPins: seen.parameterPins, current };
  }
  const fetched = await parameters.fetch();
  const newPins = pinsFor(names, fetched.versions);
  const validation = validateSensorConfig(fetched.input, names);
  const activeRefresh = validation.ok ? await fleet.findActiveRefresh() : undefined;
  const decision = decideRollout({
    problems: validation.ok ? [] : validation.problems,
    activeRefresh,
    currentPins: seen.groupPins,
    newPins,
    blockers: [],
    settled: isSettled(state.settled, newPins, current?.versionNumber),
  });
  return { decision, newPins, current };
}

/** Publishes a problem notice unless the identical one (same fingerprint) was already sent. */
async function notifyOnce(
  deps: Deps,
  state: RolloutState,
  fingerprint: string,
  build: () => Notice,
): Promise<boolean> {
  if (state.lastNoticeFingerprint === fingerprint) return false;
  await deps.notifier.publish(build());
  await deps.store.setNoticeFingerprint(fingerprint);
  return true;
}

async function reportRolloutError(deps: Deps, error: unknown): Promise<HandleResult> {
  const text = describeError(error);
  deps.metrics.addMetric(METRIC.RolloutError, MetricUnit.Count, 1);
  deps.logger.error("rollout evaluation failed; the change stays queued and is retried on the next tick", {
    error: error as Error,
  });
  try {
    const state = await deps.store.get();
    const fingerprint = JSON.stringify(["RolloutError", text]);
    if (state.lastNoticeFingerprint !== fingerprint) {
      await deps.notifier.publish(rolloutErrorNotice(deps.settings, text));
      await deps.store.setNoticeFingerprint(fingerprint);
    }
  } catch (notifyError) {
    deps.logger.error("could not report the rollout error", { error: notifyError as Error });
  }
  return { outcome: "error", error: text };
}

async function reportOutcome(
  deps: Deps,
  event: Extract<ClassifiedEvent, { kind: "refresh-outcome" }>,
): Promise<HandleResult> {
  const { settings, logger, metrics, fleet, store, notifier } = deps;
  if (event.asgName !== settings.asgName) {
    return { outcome: "ignored", why: `refresh event for another group (${event.asgName})` };
  }
  const outcome = outcomeOfPhase(event.phase);
  logger.info("instance refresh event", { phase: event.phase, refreshId: event.refreshId });
  if (outcome.metric) metrics.addMetric(outcome.metric, MetricUnit.Count, 1);
  if (outcome.notice) {
    const record = await store.getRefresh(event.refreshId);
    // Failed, cancelled or rolled back: the drift check must not roll the same pins onto the same version again.
    const settled = settledAfterPhase(event.phase, record);
    if (settled) {
      await store.setSettled(settled);
      logger.info("not rolling these pins again by themselves at this launch template version", {
        ...settled,
      });
    }
    // The status reason makes the notice actionable, but a failed lookup must not lose the notice.
    const status = await fleet.describeRefresh(event.refreshId).catch((error: unknown) => {
      logger.warn("could not describe the refresh for its status reason", { error: error as Error });
      return undefined;
    });
    await notifier.publish(
      refreshOutcomeNotice(settings, outcome.notice, event.phase, event.refreshId, record, status),
    );
  }
  const result: HandleResult = { outcome: "reported", phase: event.phase, refreshId: event.refreshId };
  // The refresh is over: a change queued behind it can roll now instead of at the next tick.
  if (outcome.terminal) result.followUp = await evaluatePending(deps);
  return result;
}
