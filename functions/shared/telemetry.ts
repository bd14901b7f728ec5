// One metrics namespace and one service-name convention for every Spanless Lambda, and the factory that
// builds the Powertools Logger and Metrics with them. Alarms select metrics by namespace, metric name and
// the `service` dimension Powertools adds, so these names are part of the deployed contract.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit, type Metrics as PowertoolsMetrics } from "@aws-lambda-powertools/metrics";
import type { Env } from "./env.js";

/** CloudWatch namespace of every Spanless metric (POWERTOOLS_METRICS_NAMESPACE overrides it). */
export const METRICS_NAMESPACE = "Spanless";

/** The Powertools service (log field `service`, metric dimension `service`) of a function: `spanless-<function>`. */
export function serviceName(functionName: string): string {
  return `spanless-${functionName}`;
}

export interface Telemetry {
  logger: Logger;
  metrics: PowertoolsMetrics;
}

/** Logger and Metrics for `functionName`; POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE override. */
export function createTelemetry(functionName: string, env: Env = process.env): Telemetry {
  const service = env.POWERTOOLS_SERVICE_NAME?.trim() || serviceName(functionName);
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE?.trim() || METRICS_NAMESPACE,
      serviceName: service,
    }),
  };
}

/** A function's own factory: `export const createTelemetry = telemetryFor("<function>")` in its metrics.ts. */
export function telemetryFor(functionName: string): (env?: Env) => Telemetry {
  return (env = process.env) => createTelemetry(functionName, env);
}

/**
 * Publishes what the invocation stored. With nothing stored it only clears dimensions and metadata, so an
 * invocation that counted nothing writes no empty EMF document and no Powertools "no metrics" warning.
 */
export function flushMetrics(metrics: PowertoolsMetrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else {
    metrics.clearDimensions();
    metrics.clearMetadata();
  }
}

/** Emits `name` once per distinct `value` of `dimension` (a count each), each as its own EMF document. */
export function countByDimension(
  metrics: PowertoolsMetrics,
  name: string,
  dimension: string,
  values: readonly string[],
): void {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [value, count] of [...counts.entries()].sort()) {
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, count);
  }
}
