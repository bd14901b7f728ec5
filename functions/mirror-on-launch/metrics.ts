// Stable metric names, the function's Powertools Logger + Metrics, and the one-line-per-decision log
// format. Namespace and service come from ../shared/telemetry.ts (`Spanless`, `spanless-mirror-on-launch`).
// The stack's CloudWatch alarms are built on these names; renaming one breaks an alarm, so they live
// here, documented in README.md.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { countByDimension, type Telemetry, telemetryFor } from "../shared/telemetry.js";
import type { ActionOutcome } from "./adapters/ec2-sessions.js";
import type { ListenerVerdict } from "./decide/listener.js";
import { ListenerCheckError } from "./errors.js";
import type { Action, Skip } from "./types.js";

export const FUNCTION_NAME = "mirror-on-launch";

/** The Powertools Logger and Metrics of this function (index.ts builds them once per cold start). */
export const createTelemetry = telemetryFor(FUNCTION_NAME);

export const METRIC = {
  sessionsCreated: "SessionsCreated",
  sessionsModified: "SessionsModified",
  sessionsDeleted: "SessionsDeleted",
  /** Dimension `Reason` (a SkipReason). */
  sessionsSkipped: "SessionsSkipped",
  /** Dimension `ErrorCode` (the EC2 error code). */
  actionFailures: "ActionFailures",
  actionsDeferred: "ActionsDeferred",
  eligibleEnis: "EligibleEnis",
  mirroredEnis: "MirroredEnis",
  coverage: "MirrorCoveragePercent",
  quotaHeadroom: "SessionQuotaHeadroom",
  vniCollisions: "VniCollisions",
  instanceNotFound: "InstanceNotFound",
  invalidEvents: "InvalidEvents",
  /** Dimension `ErrorCode` (AWS code or error class name); the invocation did nothing useful. */
  invocationErrors: "InvocationErrors",
  vniMapPublished: "VniMapPublished",
  /**
   * Reconcile: NLBs behind the mirror targets without a UDP 4789 listener (0 when every one has it); no 0 is
   * written while an NLB could not be described. The alarm mirror-listener-missing is built on it.
   */
  listenerMissing: "MirrorListenerMissing",
} as const;

const DONE_METRIC: Record<Action["kind"], string> = {
  create: METRIC.sessionsCreated,
  modify: METRIC.sessionsModified,
  delete: METRIC.sessionsDeleted,
};

export function logSkips(t: Telemetry, skips: readonly Skip[]): void {
  for (const s of skips) {
    t.logger.info("mirror decision", {
      decision: "skip",
      instanceId: s.instanceId,
      eniId: s.eniId,
      reason: s.reason,
      detail: s.detail,
    });
  }
  countByDimension(
    t.metrics,
    METRIC.sessionsSkipped,
    "Reason",
    skips.map((s) => s.reason),
  );
}

function actionFields(a: Action): Record<string, unknown> {
  const base = { decision: a.kind, instanceId: a.instanceId, eniId: a.eniId };
  if (a.kind === "create") {
    return {
      ...base,
      targetId: a.targetId,
      filterId: a.filterId,
      sessionNumber: a.sessionNumber,
      vni: a.vni,
    };
  }
  if (a.kind === "modify") return { ...base, sessionId: a.sessionId, changes: a.changes };
  return { ...base, sessionId: a.sessionId, reason: a.reason };
}

export function logPlanned(t: Telemetry, actions: readonly Action[]): void {
  for (const a of actions)
    t.logger.info("mirror decision", { ...actionFields(a), status: "planned (dry run)" });
}

export function logOutcomes(t: Telemetry, outcomes: readonly ActionOutcome[]): void {
  for (const o of outcomes) {
    const fields = { ...actionFields(o.action), status: o.status, sessionId: o.sessionId };
    if (o.status === "failed" && o.error) {
      t.logger.warn("mirror decision", {
        ...fields,
        errorCode: o.error.code,
        failureClass: o.error.failureClass,
        error: o.error.message,
      });
    } else if (o.status === "deferred") {
      t.logger.warn("mirror decision", { ...fields, detail: "out of time; the next reconcile picks it up" });
    } else {
      t.logger.info("mirror decision", fields);
    }
  }
  for (const kind of ["create", "modify", "delete"] as const) {
    const done = outcomes.filter((o) => o.status === "done" && o.action.kind === kind).length;
    if (done > 0) t.metrics.addMetric(DONE_METRIC[kind], MetricUnit.Count, done);
  }
  const deferred = outcomes.filter((o) => o.status === "deferred").length;
  if (deferred > 0) t.metrics.addMetric(METRIC.actionsDeferred, MetricUnit.Count, deferred);
  countByDimension(
    t.metrics,
    METRIC.actionFailures,
    "ErrorCode",
    outcomes.flatMap((o) => (o.status === "failed" && o.error ? [o.error.code] : [])),
  );
}

export function countInvocationError(t: Telemetry, code: string): void {
  countByDimension(t.metrics, METRIC.invocationErrors, "ErrorCode", [code]);
}

/**
 * The mirror listener check's outcome: an ERROR line per NLB without a UDP 4789 listener (what is wrong and
 * the fix), an ERROR line and InvocationErrors{ErrorCode=ListenerCheckError} per NLB that could not be asked,
 * and MirrorListenerMissing (the count of NLBs without the listener), unless that count would be a 0 while
 * an NLB could not be asked: such a 0 would hide the NLB nobody could look at (the alarm keeps its state).
 */
export function reportListenerChecks(t: Telemetry, verdicts: readonly ListenerVerdict[]): void {
  for (const v of verdicts) {
    if (v.status === "ok") {
      t.logger.info("mirror listener ok", {
        nlbArn: v.nlbArn,
        listenerArn: v.listenerArn,
        protocol: v.protocol,
      });
    } else if (v.status === "missing") {
      t.logger.error("mirror listener missing: AWS drops the mirrored traffic without an error", {
        nlbArn: v.nlbArn,
        problem: v.problem,
        listenersFound: v.found,
        fix: v.fix,
      });
    } else {
      const error = new ListenerCheckError(`DescribeListeners on ${v.nlbArn} failed: ${v.message}`);
      t.logger.error("mirror listener not checked", {
        nlbArn: v.nlbArn,
        errorCode: v.errorCode,
        error,
        fix:
          v.errorCode.startsWith("AccessDenied") || v.errorCode === "UnauthorizedOperation"
            ? "grant elasticloadbalancing:DescribeListeners on * to the reconciler's role (README: IAM policy)"
            : "the next reconcile asks again",
      });
      countInvocationError(t, error.name);
    }
  }
  const missing = verdicts.filter((v) => v.status === "missing").length;
  const unknown = verdicts.some((v) => v.status === "describe-failed");
  if (missing > 0 || (verdicts.length > 0 && !unknown)) {
    t.metrics.addMetric(METRIC.listenerMissing, MetricUnit.Count, missing);
  }
}
