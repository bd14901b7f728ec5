// The alarm specs: every alarm the issue lists exists (per AZ, per function, per queue), each says what to
// check first, watches a metric that is really published, and respects CloudWatch's limits.
import { describe, expect, it } from "vitest";
import {
  ALARM_KINDS,
  type AlarmInput,
  type AlarmSpec,
  buildAlarms,
  MAX_DESCRIPTION_LENGTH,
  MAX_EVALUATION_SECONDS,
  refreshGuardAlarmNames,
} from "../../../stack/operations/alarms.js";
import { SERVICE } from "../../../stack/operations/catalog.js";
import { FUNCTION_KEYS } from "../../../stack/operations/functions.js";
import { insightsMetric, knownMetrics } from "./support/sources.js";

function input(overrides: Partial<AlarmInput<string>> = {}): AlarmInput<string> {
  return {
    prefix: "spanless-dev",
    azs: ["us-east-1a", "us-east-1b"],
    crossZoneEnabled: false,
    nlb: { loadBalancer: "net/spanless-dev-sensors/0123456789abcdef", targetGroup: "targetgroup/x/0123" },
    asgName: "spanless-dev-sensors",
    functionNames: {
      mirrorEvents: "spanless-dev-mirror-events",
      mirrorReconcile: "spanless-dev-mirror-reconcile",
      instanceRefresh: "spanless-dev-instance-refresh",
      health: "spanless-dev-health",
    },
    queues: [
      { key: "health-events", name: "spanless-dev-health-events-dlq", holds: "events" },
      { key: "health-failed", name: "spanless-dev-health-failed", holds: "invocations" },
    ],
    reconcileMinutes: 15,
    mirrorQuotaHeadroom: 500,
    ...overrides,
  };
}

/** Every [namespace, metric] an alarm reads, through plain metrics, math inputs and Metrics Insights. */
function metricsOf(a: AlarmSpec<string>): [string, string][] {
  const out: [string, string][] = [];
  if (a.metric) out.push([a.metric.namespace, a.metric.metricName]);
  for (const q of a.queries ?? []) {
    if (q.metric) out.push([q.metric.namespace, q.metric.metricName]);
    const insight = q.expression ? insightsMetric(q.expression) : undefined;
    if (insight) out.push(insight);
  }
  return out;
}

describe("alarm specs", () => {
  it("has every alarm kind the issue lists, one per AZ, function and queue where it says so", () => {
    // Prepare
    const i = input();

    // Act
    const alarms = buildAlarms(i);

    // Assess
    const kinds = new Set(alarms.map((a) => a.kind));
    expect([...ALARM_KINDS].filter((k) => !kinds.has(k))).toEqual([]);
    const count = (k: string) => alarms.filter((a) => a.kind === k).length;
    expect(count("healthy-sensors-per-az")).toBe(i.azs.length);
    expect(count("kernel-drops")).toBe(i.azs.length);
    expect(count("lambda-errors")).toBe(FUNCTION_KEYS.length);
    expect(count("lambda-throttles")).toBe(FUNCTION_KEYS.length);
    expect(count("dlq-depth")).toBe(i.queues.length);
    expect(new Set(alarms.map((a) => a.name)).size).toBe(alarms.length);
  });

  it("describes each alarm with what to check first, within CloudWatch's length limit", () => {
    // Prepare
    const alarms = buildAlarms(input());

    // Act
    const bad = alarms.filter(
      (a) => !/Check first: /.test(a.description) || a.description.length > MAX_DESCRIPTION_LENGTH,
    );

    // Assess
    expect(bad.map((a) => a.name)).toEqual([]);
    expect(alarms.every((a) => a.missingDataWhy.length > 20)).toBe(true);
  });

  it("watches only metrics that are published", () => {
    // Prepare
    const known = knownMetrics();
    const alarms = buildAlarms(input());

    // Act
    const unknown = alarms.flatMap((a) =>
      metricsOf(a)
        .filter(([ns, m]) => !known.get(ns)?.has(m))
        .map(([ns, m]) => `${a.name}: ${ns}/${m}`),
    );

    // Assess
    expect(unknown).toEqual([]);
    expect(alarms.every((a) => metricsOf(a).length > 0)).toBe(true);
  });

  it("is well formed for CloudWatch: one of metric or queries, one returned series, evaluation limits", () => {
    // Prepare
    const alarms = buildAlarms(input({ reconcileMinutes: 1440 }));

    // Act
    const problems = alarms.flatMap((a) => {
      const p: string[] = [];
      if ((a.metric === undefined) === (a.queries === undefined)) p.push("metric xor queries");
      // Metric-math alarms may reference at most 10 metrics (alarm limits).
      if ((a.queries ?? []).filter((q) => q.metric).length > 10) p.push("at most 10 metrics");
      const insights = (a.queries ?? []).filter((q) => q.expression?.startsWith("SELECT "));
      if (insights.length > 1 || (insights.length === 1 && a.queries?.length !== 1)) p.push("one lone query");
      if (a.queries && a.queries.filter((q) => q.returnData).length !== 1) p.push("one returned series");
      const period =
        a.metric?.period ?? a.queries?.find((q) => q.metric)?.metric?.period ?? a.queries?.[0].period;
      if (period === undefined) p.push("a period");
      else if (period % 60 !== 0 || period * a.evaluationPeriods > MAX_EVALUATION_SECONDS)
        p.push("period limits");
      if (a.datapointsToAlarm > a.evaluationPeriods) p.push("datapoints <= periods");
      // Query IDs: unique, starting with a lowercase letter (MetricDataQuery Id).
      const ids = (a.queries ?? []).map((q) => q.id);
      if (new Set(ids).size !== ids.length || ids.some((id) => !/^[a-z][A-Za-z0-9_]*$/.test(id)))
        p.push("query ids");
      for (const q of a.queries ?? []) {
        const refs = (q.expression?.startsWith("SELECT ") ? "" : (q.expression ?? "")).match(
          /\b[a-z][A-Za-z0-9_]*\b/g,
        );
        const unknown = (refs ?? []).filter((r) => !ids.includes(r) && !["AND", "OR"].includes(r));
        if (unknown.length > 0) p.push(`expression ${q.id} names ${unknown.join(",")}`);
      }
      if (a.name.length > 255) p.push("name length");
      return p.map((x) => `${a.name}: ${x}`);
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it("selects function metrics by their service dimension and the per-AZ ones by zone", () => {
    // Prepare
    const alarms = buildAlarms(input());

    // Act
    const coverage = alarms.find((a) => a.kind === "mirror-coverage");
    const healthy = alarms.filter((a) => a.kind === "healthy-sensors-per-az");

    // Assess
    expect(coverage?.metric?.dimensions).toEqual({ service: SERVICE.mirror });
    expect(coverage?.threshold).toBe(100);
    expect(coverage?.metric?.period).toBe(900);
    expect(healthy.map((a) => a.metric?.dimensions.AvailabilityZone)).toEqual(["us-east-1a", "us-east-1b"]);
    expect(healthy.every((a) => a.treatMissingData === "breaching" && a.threshold === 1)).toBe(true);
  });

  it("says a zone's traffic is dropped when cross-zone is off, and not when it is on", () => {
    // Prepare
    const off = buildAlarms(input({ crossZoneEnabled: false }));

    // Act
    const on = buildAlarms(input({ crossZoneEnabled: true }));

    // Assess
    const text = (alarms: AlarmSpec<string>[]) =>
      alarms.find((a) => a.kind === "healthy-sensors-per-az")?.description;
    expect(text(off)).toMatch(/OFF: mirrored traffic from this zone is being dropped/);
    expect(text(on)).toMatch(/other zones' sensors take the traffic/);
  });

  it("hands instance-refresh exactly the per-AZ healthy-sensor alarms as its guard", () => {
    // Prepare
    const i = input();

    // Act
    const guard = refreshGuardAlarmNames(i.prefix, i.azs);

    // Assess
    const healthy = buildAlarms(i)
      .filter((a) => a.kind === "healthy-sensors-per-az")
      .map((a) => a.name);
    expect(guard).toEqual(healthy);
  });

  it("pages when the NLB loses its UDP 4789 listener: the reconciler's metric, one pass, last state kept", () => {
    // Prepare
    const i = input({ reconcileMinutes: 15 });

    // Act
    const listener = buildAlarms(i).filter((a) => a.kind === "mirror-listener-missing");

    // Assess
    expect(listener).toHaveLength(1);
    expect(listener[0]).toMatchObject({
      name: "spanless-dev-mirror-listener-missing",
      metric: {
        namespace: "Spanless",
        metricName: "MirrorListenerMissing",
        dimensions: { service: SERVICE.mirror },
        stat: "Maximum",
        period: 900,
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "missing",
    });
    expect(listener[0].description).toMatch(
      /Check first: .*aws elbv2 describe-listeners --load-balancer-arn/,
    );
    expect(listener[0].description).toMatch(/last deploy succeeded/);
  });

  it("alarms on the quietest sensor through one Metrics Insights series over the per-instance set", () => {
    // Prepare
    const alarms = buildAlarms(input());

    // Act
    const noData = alarms.find((a) => a.kind === "no-incoming-data");

    // Assess
    expect(noData?.queries).toHaveLength(1);
    expect(noData?.queries?.[0].expression).toBe(
      'SELECT MIN(Packets) FROM SCHEMA("Spanless/Sensor", AvailabilityZone, InstanceId)',
    );
    expect(noData?.queries?.[0].period).toBe(60);
    expect(noData?.treatMissingData).toBe("breaching");
  });
});
