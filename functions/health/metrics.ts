// Metric names and the function's Powertools Logger + Metrics. Namespace and service come from
// ../shared/telemetry.ts (`Spanless`, `spanless-health`). Documented in README.md; alarms are built on these
// names, so renaming one breaks an alarm.
import type { Env } from "../shared/env.js";
import { createTelemetry as sharedTelemetry, type Telemetry } from "../shared/telemetry.js";

export const FUNCTION_NAME = "health";

/** The Powertools Logger and Metrics of this function (built once per container by index.ts). */
export const createTelemetry = (env: Env = process.env): Telemetry => sharedTelemetry(FUNCTION_NAME, env);

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
