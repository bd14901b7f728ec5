// CloudWatch metric names (namespace from POWERTOOLS_METRICS_NAMESPACE, default "Spanless"; dimension
// `service` = instance-refresh). All are counts. Documented in README.md; alarms are built on these names.
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
  /** An AWS call failed while evaluating or starting a rollout (retried on the next tick). */
  RolloutError: "RolloutError",
} as const;

export const DEFAULT_METRICS_NAMESPACE = "Spanless";
export const SERVICE_NAME = "instance-refresh";
