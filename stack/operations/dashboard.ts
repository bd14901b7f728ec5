// The CloudWatch dashboard on-call opens first: alarm states on top, then the fleet per Availability Zone,
// each sensor's traffic, drops and upload backlog, mirroring, configuration rollouts, and the automation's
// own health (functions, dead-letter queues). Pure: takes resolved names and returns the dashboard body
// (CloudWatch dashboard body structure), so tests can check every metric it names exists.
import {
  AWS_METRIC,
  FUNCTION_NAMESPACE,
  HEALTH_METRIC,
  MIRROR_METRIC,
  REFRESH_METRIC,
  SENSOR_METRIC,
  SENSOR_NAMESPACE,
  SERVICE,
} from "./catalog.js";
import { FUNCTION_KEYS, type FunctionKey } from "./functions.js";

export interface DashboardInput {
  region: string;
  title: string;
  azs: readonly string[];
  nlb: { loadBalancer: string; targetGroup: string };
  asgName: string;
  functionNames: Readonly<Record<FunctionKey, string>>;
  queueNames: readonly string[];
  alarmArns: readonly string[];
  runbookUrl?: string;
}

/** A metric line: [namespace, name, dim, value, …, options?] or an expression line: [{expression, …}]. */
type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  type: "metric" | "alarm" | "text";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

export interface DashboardBody {
  start: string;
  periodOverride: "auto" | "inherit";
  widgets: Widget[];
}

/** CloudWatch's alarm status widget shows at most 100 alarms. */
export const MAX_ALARMS_PER_WIDGET = 100;

const metric = (
  namespace: string,
  name: string,
  dims: Record<string, string>,
  opts: Record<string, unknown> = {},
) => {
  const line: MetricLine = [namespace, name, ...Object.entries(dims).flat()];
  if (Object.keys(opts).length > 0) line.push(opts);
  return line;
};

const expression = (id: string, expr: string, opts: Record<string, unknown> = {}): MetricLine => [
  { id, expression: expr, ...opts },
];

/** Per-sensor series through Metrics Insights: instances come and go, so they are not listed by ID. */
const perSensor = (fn: "SUM" | "MAX", name: string, id: string, label: string): MetricLine =>
  expression(
    id,
    `SELECT ${fn}(${name}) FROM SCHEMA("${SENSOR_NAMESPACE}", AvailabilityZone, InstanceId) GROUP BY InstanceId ORDER BY ${fn}() DESC LIMIT 50`,
    { label },
  );

/** Lays widgets out left to right, 24 columns, wrapping rows. */
class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly widgets: Widget[] = [];

  add(type: Widget["type"], width: number, height: number, properties: Record<string, unknown>): void {
    if (this.x + width > 24) {
      this.x = 0;
      this.y += this.rowHeight;
      this.rowHeight = 0;
    }
    this.widgets.push({ type, x: this.x, y: this.y, width, height, properties });
    this.x += width;
    this.rowHeight = Math.max(this.rowHeight, height);
  }
}

export function buildDashboard(i: DashboardInput): DashboardBody {
  const g = new Grid();
  const graph = (title: string, metrics: MetricLine[], extra: Record<string, unknown> = {}) => ({
    title,
    view: "timeSeries",
    region: i.region,
    stacked: false,
    period: 60,
    metrics,
    ...extra,
  });
  const nlbDims = (az?: string) => ({
    ...(az ? { AvailabilityZone: az } : {}),
    LoadBalancer: i.nlb.loadBalancer,
    TargetGroup: i.nlb.targetGroup,
  });

  g.add("text", 24, 2, {
    markdown:
      `# ${i.title}\n` +
      "Alarm states first; every alarm's description says what to check first" +
      (i.runbookUrl ? ` ([runbook](${i.runbookUrl})).` : " (runbook: stack/operations/README.md)."),
  });
  g.add("alarm", 24, 4, {
    title: "Alarms",
    alarms: i.alarmArns.slice(0, MAX_ALARMS_PER_WIDGET),
    sortBy: "stateUpdatedTimestamp",
  });

  // Fleet health per AZ.
  g.add(
    "metric",
    12,
    6,
    graph(
      "Healthy / unhealthy sensors per AZ (NLB)",
      i.azs.flatMap((az) => [
        metric(AWS_METRIC.nlb.namespace, AWS_METRIC.nlb.healthy, nlbDims(az), {
          stat: "Minimum",
          label: `healthy ${az}`,
        }),
        metric(AWS_METRIC.nlb.namespace, AWS_METRIC.nlb.unhealthy, nlbDims(az), {
          stat: "Maximum",
          label: `unhealthy ${az}`,
        }),
      ]),
      { yAxis: { left: { min: 0 } }, annotations: { horizontal: [{ label: "no sensor", value: 1 }] } },
    ),
  );
  g.add(
    "metric",
    12,
    6,
    graph(
      "Healthy sensors per AZ (health summary), zones without one, launch failures",
      [
        ...i.azs.map((az) =>
          metric(
            FUNCTION_NAMESPACE,
            HEALTH_METRIC.healthySensors,
            { service: SERVICE.health, AvailabilityZone: az },
            { stat: "Minimum", label: `healthy ${az}` },
          ),
        ),
        metric(
          FUNCTION_NAMESPACE,
          HEALTH_METRIC.azsWithoutHealthySensor,
          { service: SERVICE.health },
          { stat: "Maximum", label: "zones without a healthy sensor" },
        ),
        metric(
          FUNCTION_NAMESPACE,
          HEALTH_METRIC.launchFailures,
          { service: SERVICE.health, AutoScalingGroupName: i.asgName },
          { stat: "Sum", label: "launch failures (events)" },
        ),
        metric(
          FUNCTION_NAMESPACE,
          HEALTH_METRIC.launchFailuresInPeriod,
          { service: SERVICE.health },
          { stat: "Maximum", label: "launch failures (activity history)" },
        ),
      ],
      { period: 300 },
    ),
  );

  // Per sensor.
  g.add(
    "metric",
    8,
    6,
    graph("Packets per sensor (per minute)", [perSensor("SUM", SENSOR_METRIC.packets, "packets", "packets")]),
  );
  g.add(
    "metric",
    8,
    6,
    graph("Throughput per sensor (Mbit/s)", [
      expression(
        "bytes",
        `SELECT SUM(${SENSOR_METRIC.bytes}) FROM SCHEMA("${SENSOR_NAMESPACE}", AvailabilityZone, InstanceId) GROUP BY InstanceId ORDER BY SUM() DESC LIMIT 50`,
        { visible: false },
      ),
      expression("mbps", "bytes * 8 / PERIOD(bytes) / 1000000", { label: "Mbit/s" }),
    ]),
  );
  // One Metrics Insights query per widget: CloudWatch runs a widget as one GetMetricData call, which takes one.
  g.add(
    "metric",
    8,
    6,
    graph("Kernel drops per sensor (socket buffer full)", [
      perSensor("SUM", SENSOR_METRIC.kernelDrops, "kernel", "kernel drops"),
    ]),
  );
  g.add(
    "metric",
    8,
    6,
    graph("Queue drops per sensor (engine queues full)", [
      perSensor("SUM", SENSOR_METRIC.queueDrops, "queue", "queue drops"),
    ]),
  );
  g.add(
    "metric",
    8,
    6,
    graph("Upload backlog per sensor (bytes in the spool)", [
      perSensor("MAX", SENSOR_METRIC.spoolBacklogBytes, "backlog", "spool backlog"),
    ]),
  );
  g.add(
    "metric",
    8,
    6,
    graph("Uploads and losses (fleet)", [
      metric(SENSOR_NAMESPACE, SENSOR_METRIC.uploadedBatches, {}, { stat: "Sum", label: "uploaded batches" }),
      metric(SENSOR_NAMESPACE, SENSOR_METRIC.spoolDroppedBatches, {}, { stat: "Sum", label: "spool drops" }),
      metric(SENSOR_NAMESPACE, SENSOR_METRIC.uploadRejectedBatches, {}, { stat: "Sum", label: "rejected" }),
    ]),
  );
  g.add(
    "metric",
    12,
    6,
    graph("Dead engine workers per sensor", [
      perSensor("MAX", SENSOR_METRIC.workersDead, "dead", "dead workers"),
    ]),
  );
  g.add(
    "metric",
    12,
    6,
    graph("Memory budget in use per sensor (%)", [
      perSensor("MAX", SENSOR_METRIC.memoryBudgetPercent, "memory", "memory budget %"),
    ]),
  );

  // Mirroring.
  g.add(
    "metric",
    12,
    6,
    graph(
      "Mirror coverage (%) and eligible / mirrored ENIs",
      [
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.coverage,
          { service: SERVICE.mirror },
          {
            stat: "Minimum",
            label: "coverage %",
          },
        ),
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.eligibleEnis,
          { service: SERVICE.mirror },
          {
            stat: "Maximum",
            label: "eligible ENIs",
            yAxis: "right",
          },
        ),
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.mirroredEnis,
          { service: SERVICE.mirror },
          {
            stat: "Maximum",
            label: "mirrored ENIs",
            yAxis: "right",
          },
        ),
      ],
      { period: 900, annotations: { horizontal: [{ label: "full coverage", value: 100 }] } },
    ),
  );
  g.add(
    "metric",
    12,
    6,
    graph(
      "Mirror session quota headroom, sessions created/deleted, errors, NLB listener missing",
      [
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.quotaHeadroom,
          { service: SERVICE.mirror },
          {
            stat: "Minimum",
            label: "sessions left in the account quota",
          },
        ),
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.sessionsCreated,
          { service: SERVICE.mirror },
          {
            stat: "Sum",
            label: "created",
            yAxis: "right",
          },
        ),
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.sessionsDeleted,
          { service: SERVICE.mirror },
          {
            stat: "Sum",
            label: "deleted",
            yAxis: "right",
          },
        ),
        expression(
          "mirrorErrors",
          `SELECT SUM(${MIRROR_METRIC.invocationErrors}) FROM SCHEMA("${FUNCTION_NAMESPACE}", ErrorCode, service) WHERE service = '${SERVICE.mirror}' GROUP BY ErrorCode`,
          { label: "invocation errors", yAxis: "right" },
        ),
        // No room for a widget of its own in this row: 0 while the NLB has its UDP 4789 listener, 1 when
        // AWS is dropping every mirrored packet (the alarm mirror-listener-missing).
        metric(
          FUNCTION_NAMESPACE,
          MIRROR_METRIC.listenerMissing,
          { service: SERVICE.mirror },
          {
            stat: "Maximum",
            label: "NLBs without a UDP 4789 listener",
            yAxis: "right",
          },
        ),
      ],
      { period: 900 },
    ),
  );

  // Configuration rollouts.
  g.add(
    "metric",
    12,
    6,
    graph(
      "Config rollouts (instance refresh)",
      (
        [
          ["configInvalid", REFRESH_METRIC.configInvalid],
          ["blocked", REFRESH_METRIC.rolloutBlocked],
          ["started", REFRESH_METRIC.refreshStarted],
          ["succeeded", REFRESH_METRIC.refreshSucceeded],
          ["failed", REFRESH_METRIC.refreshFailed],
          ["rolledBack", REFRESH_METRIC.refreshRolledBack],
          ["rollbackFailed", REFRESH_METRIC.refreshRollbackFailed],
          ["errors", REFRESH_METRIC.rolloutError],
          // A deploy that changed the launch template, re-pinned by the function (no alarm: it repairs itself).
          ["pinDrift", REFRESH_METRIC.pinDriftDetected],
        ] as const
      ).map(([label, name]) =>
        metric(FUNCTION_NAMESPACE, name, { service: SERVICE.refresh }, { stat: "Sum", label }),
      ),
      { period: 300 },
    ),
  );
  g.add(
    "metric",
    12,
    6,
    graph(
      "Config in service (launch template version) and versions running",
      [
        metric(
          FUNCTION_NAMESPACE,
          HEALTH_METRIC.configVersionInService,
          { service: SERVICE.health },
          {
            stat: "Maximum",
            label: "version in service",
          },
        ),
        metric(
          FUNCTION_NAMESPACE,
          HEALTH_METRIC.configVersionsRunning,
          { service: SERVICE.health },
          {
            stat: "Maximum",
            label: "versions running (> 1: rollout in progress or stuck)",
            yAxis: "right",
          },
        ),
      ],
      { period: 300 },
    ),
  );

  // The automation itself.
  g.add(
    "metric",
    12,
    6,
    graph(
      "Lambda errors and throttles",
      FUNCTION_KEYS.flatMap((key) => [
        metric(
          AWS_METRIC.lambda.namespace,
          AWS_METRIC.lambda.errors,
          { FunctionName: i.functionNames[key] },
          {
            stat: "Sum",
            label: `${i.functionNames[key]} errors`,
          },
        ),
        metric(
          AWS_METRIC.lambda.namespace,
          AWS_METRIC.lambda.throttles,
          { FunctionName: i.functionNames[key] },
          {
            stat: "Sum",
            label: `${i.functionNames[key]} throttles`,
          },
        ),
      ]),
      { period: 300 },
    ),
  );
  g.add(
    "metric",
    12,
    6,
    graph(
      "Dead-letter queue depth",
      i.queueNames.map((q) =>
        metric(
          AWS_METRIC.sqs.namespace,
          AWS_METRIC.sqs.visible,
          { QueueName: q },
          { stat: "Maximum", label: q },
        ),
      ),
      { period: 300 },
    ),
  );

  return { start: "-PT6H", periodOverride: "auto", widgets: g.widgets };
}

/** The console URL of a dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}
