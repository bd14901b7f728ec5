// CloudWatch metric names (all counts) and the function's Powertools Logger + Metrics. Namespace and service
// come from ../shared/telemetry.ts (`Spanless`, `spanless-instance-refresh`). Documented in README.md; alarms
// are built on these names.
import { telemetryFor } from "../shared/telemetry.js";

export const FUNCTION_NAME = "instance-refresh";

/** The Powertools Logger and Metrics of this function (index.ts builds them once per cold start). */
export const createTelemetry = telemetryFor(FUNCTION_NAME);

export const METRIC = {
  /** A Parameter Store change for one of the sensor parameters was buffered. */
  ConfigChangeReceived: "ConfigChangeReceived",
  /** A debounced evaluation found the configuration invalid (or a required parameter missing): no rollout. */
  ConfigInvalid: "ConfigInvalid",
  /** A valid change waits because the group cannot be refreshed safely (AZ coverage, launch template). */
  RolloutBlocked: "RolloutBlocked",
  /** A valid change waits for the running instance refresh to end. */
  RefreshQueued: "RefreshQueued",
  /** The pinned versions already match the group's launch template: nothing to roll. */
  RolloutUnchanged: "RolloutUnchanged",
  RefreshStarted: "RefreshStarted",
  RefreshSucceeded: "RefreshSucceeded",
  RefreshFailed: "RefreshFailed",
  RefreshCancelled: "RefreshCancelled",
  RefreshRollbackStarted: "RefreshRollbackStarted",
  RefreshRolledBack: "RefreshRolledBack",
  RefreshRollbackFailed: "RefreshRollbackFailed",
  /**
   * The drift check (a tick with nothing buffered) found the launch-template version in service pinning other
   * parameter versions than the current ones, not settled and no refresh running: it validates and rolls them.
   */
  PinDriftDetected: "PinDriftDetected",
  /** An AWS call failed while evaluating or starting a rollout (retried on the next tick). */
  RolloutError: "RolloutError",
} as const;
