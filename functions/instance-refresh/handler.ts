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
  decideOnTick,
  decideRollout,
  describePins,
  launchTemplateVersionDescription,
  noticeFingerprint,
  outcomeOfPhase,
  rolloutBlockers,
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
  | { outcome: "idle" }
  | { outcome: "wait"; dueAt: number }
  | { outcome: "busy" }
  | { outcome: "invalid"; problems: ConfigProblem[]; notified: boolean }
  | { outcome: "blocked"; reasons: string[]; notified: boolean }
  | { outcome: "queued"; behind: string }
  | { outcome: "unchanged" }
  | { outcome: "started"; refreshId: string; launchTemplateVersion: number }
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

/** Runs on every tick and after a refresh ends: rolls the buffered changes out once the quiet window passed. */
async function evaluatePending(deps: Deps): Promise<HandleResult> {
  const { store, settings, logger } = deps;
  const first = decideOnTick(await store.get(), deps.now(), settings);
  if (first.action === "idle") return { outcome: "idle" };
  if (first.action === "wait") return { outcome: "wait", dueAt: first.dueAt };
  if (!(await store.acquireLease(deps.now(), ROLLOUT_LEASE_MS))) {
    logger.info("another invocation is evaluating the rollout");
    return { outcome: "busy" };
  }
  try {
    // Re-read under the lease: another invocation may have rolled out between our first read and the lease.
    const state = await store.get();
    if (decideOnTick(state, deps.now(), settings).action !== "evaluate") return { outcome: "idle" };
    return await evaluateUnderLease(deps, state);
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

async function gatherAndDecide(deps: Deps): Promise<GatheredFacts> {
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
    });
    return { decision, newPins, current: undefined };
  }
  const asg = await fleet.describeGroup();
  const current = asg.launchTemplate
    ? await fleet.describeLaunchTemplateVersion(asg.launchTemplate)
    : undefined;
  let currentPins: ConfigPins | undefined;
  let pinBlockError: string | undefined;
  if (current) {
    try {
      currentPins = parsePinBlock(current.userData);
      if (currentPins === undefined) throw new PinFormatError(MISSING_PIN_BLOCK_MESSAGE);
    } catch (error) {
      if (!(error instanceof PinFormatError)) throw error;
      pinBlockError = `launch template ${current.launchTemplateId} version ${current.versionNumber}: ${error.message}`;
    }
  }
  const blockers = rolloutBlockers(asg, current, settings, pinBlockError);
  const activeRefresh = await fleet.findActiveRefresh();
  return {
    decision: decideRollout({ problems: [], activeRefresh, currentPins, newPins, blockers }),
    newPins,
    current,
  };
}

async function evaluateUnderLease(deps: Deps, state: RolloutState): Promise<HandleResult> {
  const { store, metrics, logger, settings } = deps;
  const { decision, newPins, current } = await gatherAndDecide(deps);
  const changed = state.pendingParameters;
  switch (decision.kind) {
    case "invalid": {
      metrics.addMetric(METRIC.ConfigInvalid, MetricUnit.Count, 1);
      const lines = decision.problems.map(formatProblem);
      logger.warn("sensor configuration invalid; not rolling out", { problems: lines, changed });
      const notified = await notifyOnce(deps, state, noticeFingerprint("ConfigInvalid", lines, newPins), () =>
        configInvalidNotice(settings, decision.problems, changed),
      );
      // The operator must save a new parameter version to fix this, which buffers a new change.
      await store.clearPending(state.changeSeq);
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
    case "roll":
      return startRollout(deps, state, decision.changedKeys, newPins, current!);
  }
}

async function startRollout(
  deps: Deps,
  state: RolloutState,
  changedKeys: Extract<RolloutDecision, { kind: "roll" }>["changedKeys"],
  newPins: ConfigPins,
  current: LaunchTemplateVersionView,
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
    triggeredBy: state.pendingParameters,
  };
  await store.saveRefresh(record);
  const cleared = await store.clearPending(state.changeSeq);
  await store.setNoticeFingerprint(undefined);
  metrics.addMetric(METRIC.RefreshStarted, MetricUnit.Count, 1);
  logger.info("instance refresh started", { ...record, changesArrivedMeanwhile: !cleared });
  await notifier.publish(refreshStartedNotice(settings, record));
  return { outcome: "started", refreshId: started.refreshId, launchTemplateVersion: version };
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
