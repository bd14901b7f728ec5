// The stack's copy of the metric names is the functions' and the sensor's: a rename there fails here.
import { describe, expect, it } from "vitest";
import { METRIC as HEALTH } from "../../../functions/health/metrics.js";
import { METRIC as REFRESH } from "../../../functions/instance-refresh/metrics.js";
import { METRIC as MIRROR } from "../../../functions/mirror-on-launch/metrics.js";
import { METRICS_NAMESPACE, serviceName } from "../../../functions/shared/telemetry.js";
import {
  EMF_NAMESPACE,
  SENSOR_DIMENSIONS,
  SENSOR_METRICS,
} from "../../../sensor-ami/src/daemon/metrics/emf.js";
import {
  FUNCTION_NAMESPACE,
  HEALTH_METRIC,
  MIRROR_METRIC,
  REFRESH_METRIC,
  SENSOR_DIMENSION_SETS,
  SENSOR_METRIC,
  SENSOR_NAMESPACE,
  SERVICE,
} from "../../../stack/operations/catalog.js";

describe("operations metric catalog", () => {
  it("uses the functions' namespace and service dimension values", () => {
    // Prepare
    const expected = {
      mirror: serviceName("mirror-on-launch"),
      refresh: serviceName("instance-refresh"),
      health: serviceName("health"),
    };

    // Act
    const actual = { ...SERVICE };

    // Assess
    expect(FUNCTION_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(actual).toEqual(expected);
  });

  it.each([
    ["mirror-on-launch", MIRROR_METRIC, MIRROR],
    ["instance-refresh", REFRESH_METRIC, REFRESH],
    ["health", HEALTH_METRIC, HEALTH],
  ] as const)("names only metrics %s publishes", (_fn, catalog, source) => {
    // Prepare
    const published = new Set<string>(Object.values(source));

    // Act
    const unknown = Object.values(catalog).filter((name) => !published.has(name));

    // Assess
    expect(unknown).toEqual([]);
  });

  it("names only metrics the sensor publishes, in its namespace and dimension sets", () => {
    // Prepare
    const published = new Set(SENSOR_METRICS.map((m) => m.name));

    // Act
    const unknown = Object.values(SENSOR_METRIC).filter((name) => !published.has(name));

    // Assess
    expect(unknown).toEqual([]);
    expect(SENSOR_NAMESPACE).toBe(EMF_NAMESPACE);
    expect(SENSOR_DIMENSION_SETS.map((s) => [...s])).toEqual(SENSOR_DIMENSIONS.map((s) => [...s]));
  });
});
