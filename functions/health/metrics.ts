// Metric names and the function's Powertools Logger + Metrics. Namespace and service come from
// ../shared/telemetry.ts (`Spanless`, `spanless-health`). Documented in README.md; alarms are built on these
// names, so renaming one breaks an alarm.
import { telemetryFor } from "../shared/telemetry.js";

export const FUNCTION_NAME = "health";

/** The Powertools Logger and Metrics of this function (index.ts builds them once per cold start). */
export const createTelemetry = telemetryFor(FUNCTION_NAME);

export const METRIC = {
  launchFailures: "LaunchFailures",
  unhealthyReplaced: "UnhealthySensorsReplaced",
  refreshProblems: "InstanceRefreshProblems",
  eventsRejected: "HealthEventsRejected",
  handlerErrors: "HealthHandlerErrors",
  logStreamMissing: "BootLogMissing",
  healthySensors: "HealthySensors",
  azsWithoutHealthySensor: "AvailabilityZonesWithoutHealthySensor",
  launchFailuresInPeriod: "LaunchFailuresInPeriod",
  configVersionInService: "ConfigVersionInService",
  configVersionsRunning: "ConfigVersionsRunning",
  failedBootsAbandoned: "FailedBootsAbandoned",
} as const;
