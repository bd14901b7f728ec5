// The dashboard body: valid JSON CloudWatch accepts (widgets on the 24-column grid), every metric it graphs is
// published, the per-AZ and per-sensor pictures are there, and the alarm widget lists the alarms.
import { describe, expect, it } from "vitest";
import { buildDashboard, type DashboardInput, dashboardUrl } from "../../../stack/operations/dashboard.js";
import { insightsMetric, knownMetrics } from "./support/sources.js";

function input(): DashboardInput {
  return {
    region: "eu-west-1",
    title: "Spanless dev",
    azs: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    nlb: {
      loadBalancer: "net/spanless-dev-sensors/0123",
      targetGroup: "targetgroup/spanless-dev-vxlan/0456",
    },
    asgName: "spanless-dev-sensors",
    functionNames: {
      mirrorEvents: "spanless-dev-mirror-events",
      mirrorReconcile: "spanless-dev-mirror-reconcile",
      instanceRefresh: "spanless-dev-instance-refresh",
      health: "spanless-dev-health",
    },
    queueNames: ["spanless-dev-health-events-dlq", "spanless-dev-health-failed"],
    alarmArns: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:spanless-dev-unhealthy-sensors"],
  };
}

type Line = (string | Record<string, unknown>)[];
type Widget = {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
};

const widgetsOf = (body: string) => (JSON.parse(body) as { widgets: Widget[] }).widgets;
const linesOf = (w: Widget) => (w.properties.metrics as Line[] | undefined) ?? [];

describe("dashboard body", () => {
  it("is JSON with every widget on the 24-column grid", () => {
    // Prepare
    const i = input();

    // Act
    const body = JSON.stringify(buildDashboard(i));

    // Assess
    const widgets = widgetsOf(body);
    expect(widgets.length).toBeGreaterThan(10);
    expect(widgets.filter((w) => w.x < 0 || w.x + w.width > 24 || w.height < 1)).toEqual([]);
    expect(widgets.filter((w) => w.type === "metric" && w.properties.region !== "eu-west-1")).toEqual([]);
  });

  it("puts at most one Metrics Insights query in a widget (one GetMetricData call per widget takes one)", () => {
    // Prepare
    const widgets = widgetsOf(JSON.stringify(buildDashboard(input())));

    // Act
    const crowded = widgets.filter(
      (w) =>
        linesOf(w).filter((l) => /^SELECT /.test(String((l[0] as { expression?: string }).expression ?? "")))
          .length > 1,
    );

    // Assess
    expect(crowded.map((w) => w.properties.title)).toEqual([]);
  });

  it("gives expressions unique ids starting with a lowercase letter, and refers only to ids of the widget", () => {
    // Prepare
    const widgets = widgetsOf(JSON.stringify(buildDashboard(input())));

    // Act
    const problems = widgets.flatMap((w) => {
      const exprs = linesOf(w)
        .filter((l) => typeof l[0] !== "string")
        .map((l) => l[0] as { id: string; expression: string });
      const ids = exprs.map((e) => e.id);
      const out: string[] = [];
      if (new Set(ids).size !== ids.length || ids.some((id) => !/^[a-z][A-Za-z0-9_]*$/.test(id)))
        out.push("ids");
      for (const e of exprs.filter((x) => !x.expression.startsWith("SELECT "))) {
        const refs = e.expression.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? [];
        if (refs.some((r) => !ids.includes(r))) out.push(`${e.id} refers outside the widget`);
      }
      return out.map((p) => `${w.properties.title}: ${p}`);
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it("graphs only metrics that are published", () => {
    // Prepare
    const known = knownMetrics();
    const widgets = widgetsOf(JSON.stringify(buildDashboard(input())));

    // Act
    const referenced = widgets.flatMap((w) =>
      linesOf(w).flatMap((line): [string, string][] => {
        if (typeof line[0] === "string") return [[line[0], line[1] as string]];
        const insight = insightsMetric(String((line[0] as { expression: string }).expression));
        return insight ? [insight] : [];
      }),
    );

    // Assess
    expect(referenced.length).toBeGreaterThan(30);
    expect(referenced.filter(([ns, m]) => !known.get(ns)?.has(m)).map((x) => x.join("/"))).toEqual([]);
  });

  it("shows fleet health per AZ and traffic, drops and backlog per sensor", () => {
    // Prepare
    const i = input();

    // Act
    const widgets = widgetsOf(JSON.stringify(buildDashboard(i)));

    // Assess
    const nlb = widgets.find((w) => /per AZ \(NLB\)/.test(String(w.properties.title)));
    const zones = linesOf(nlb as Widget).map((l) => l[l.indexOf("AvailabilityZone") + 1]);
    expect(new Set(zones)).toEqual(new Set(i.azs));
    const perSensor = widgets
      .flatMap(linesOf)
      .map((l) => (l[0] as { expression?: string }).expression ?? "")
      .filter((e) => e.includes("GROUP BY InstanceId"));
    for (const metric of ["Packets", "Bytes", "KernelDrops", "QueueDrops", "SpoolBacklogBytes"]) {
      expect(perSensor.some((e) => e.includes(`(${metric})`))).toBe(true);
    }
  });

  it("lists the alarms in an alarm status widget and every function and queue", () => {
    // Prepare
    const i = input();

    // Act
    const body = JSON.stringify(buildDashboard(i));

    // Assess
    const alarm = widgetsOf(body).find((w) => w.type === "alarm");
    expect(alarm?.properties.alarms).toEqual(i.alarmArns);
    for (const name of [...Object.values(i.functionNames), ...i.queueNames])
      expect(body).toContain(`"${name}"`);
  });

  it("links to the dashboard in the console", () => {
    // Prepare
    const name = "spanless-dev";

    // Act
    const url = dashboardUrl("eu-west-1", name);

    // Assess
    expect(url).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/spanless-dev",
    );
  });
});
