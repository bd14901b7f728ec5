// The alarm specs (../alarms.ts) as CloudWatch alarms, every one sending ALARM and OK to the on-call topic
// (OK too, so whoever was paged sees the recovery without opening the console).
import type { AlarmSpec, MetricStat } from "../alarms.js";

type In = $util.Input<string>;

const metricArgs = (m: MetricStat<In>) => ({
  namespace: m.namespace,
  metricName: m.metricName,
  dimensions: m.dimensions,
  stat: m.stat,
  period: m.period,
});

const pascal = (key: string) =>
  key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");

export function metricAlarm(spec: AlarmSpec<In>, topicArn: $util.Output<string>): aws.cloudwatch.MetricAlarm {
  const common = {
    name: spec.name,
    alarmDescription: spec.description,
    comparisonOperator: spec.comparison,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData,
    actionsEnabled: true,
    alarmActions: [topicArn],
    okActions: [topicArn],
    tags: { "spanless:alarm-kind": spec.kind },
  };
  if (spec.metric) {
    const m = spec.metric;
    return new aws.cloudwatch.MetricAlarm(`Alarm${pascal(spec.key)}`, {
      ...common,
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      statistic: m.stat,
      period: m.period,
    });
  }
  return new aws.cloudwatch.MetricAlarm(`Alarm${pascal(spec.key)}`, {
    ...common,
    metricQueries: (spec.queries ?? []).map((q) => ({
      id: q.id,
      returnData: q.returnData,
      ...(q.label !== undefined ? { label: q.label } : {}),
      ...(q.expression !== undefined ? { expression: q.expression } : {}),
      ...(q.period !== undefined ? { period: q.period } : {}),
      ...(q.metric ? { metric: metricArgs(q.metric) } : {}),
    })),
  });
}
