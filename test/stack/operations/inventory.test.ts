// The operations half of the real stack (sst.config.ts under Pulumi mocks, `npm run infra:inventory`): every
// rule and schedule has a retry policy and a dead-letter queue, every listed alarm exists, explains itself and
// pages the on-call topic, each function's role is its README's policy and its environment is one the function
// accepts, no mutation is allowed on `*` without a condition, and the dashboard and its URL are there.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig as parseHealth } from "../../../functions/health/config.js";
import { parseConfig as parseRefresh } from "../../../functions/instance-refresh/config.js";
import { parsePolicy, parseRuntimeConfig } from "../../../functions/mirror-on-launch/config.js";
import { ALARM_KINDS } from "../../../stack/operations/alarms.js";
import type { PolicyDocument } from "../../../stack/operations/policies.js";
import {
  baseConfig,
  type Inventory,
  inventory,
  list,
  type Resource,
  statements,
} from "../support/inventory.js";
import { beyond, insightsMetric, knownMetrics, missing, ROOT, readmePolicy } from "./support/sources.js";

const T = {
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  schedule: "aws:scheduler/schedule:Schedule",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const;

const ACCOUNT = "123456789012";
const ARN = /^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:([a-z]{2}(-[a-z]+)+-\d)?:(\d{12})?:\S+$/;
const queueArn = (q: Resource) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${q.inputs.name}`;

const newVpc = () => inventory(baseConfig());

function fnNamed(inv: Inventory, suffix: string): Resource {
  const found = inv.ofType(T.fn).find((f) => String(f.inputs.name).endsWith(`-${suffix}`));
  if (!found) throw new Error(`no function ${suffix}`);
  return found;
}

/** The inline policy of a function's role, as a document with array-valued Action/Resource. */
function rolePolicy(inv: Inventory, fn: Resource): PolicyDocument {
  const role = inv.ofType(T.role).find((r) => r.inputs.name === fn.inputs.name);
  if (!role) throw new Error(`no role for ${fn.inputs.name}`);
  const docs = (role.inputs.inlinePolicies as { policy: string }[]).map((p) => statements(p.policy));
  return {
    Version: "2012-10-17",
    Statement: docs.flat().map((s) => ({
      Sid: s.Sid ?? "",
      Effect: s.Effect,
      Action: list(s.Action),
      Resource: list(s.Resource),
      ...(s.Condition ? { Condition: s.Condition as PolicyDocument["Statement"][number]["Condition"] } : {}),
    })),
  };
}

const env = (fn: Resource) => fn.inputs.environment.variables as Record<string, string>;

describe("operations in the stack inventory", () => {
  it("gives every EventBridge rule one target with a retry policy and a dead-letter queue only it may write", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const rules = inv.ofType(T.rule);

    // Assess
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const rule of rules) {
      const targets = inv.ofType(T.target).filter((t) => t.inputs.rule === rule.inputs.name);
      expect(targets, String(rule.inputs.name)).toHaveLength(1);
      const [target] = targets;
      expect(target.inputs.retryPolicy.maximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(target.inputs.retryPolicy.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      const dlq = inv.ofType(T.queue).find((q) => queueArn(q) === target.inputs.deadLetterConfig?.arn);
      expect(dlq, `DLQ of ${rule.inputs.name}`).toBeDefined();
      expect(dlq?.inputs.sqsManagedSseEnabled).toBe(true);
      const policy = inv
        .ofType(T.queuePolicy)
        .map((p) => statements(p.inputs.policy))
        .find((s) => s.some((st) => st.Resource === queueArn(dlq as Resource)));
      const allow = policy?.filter((s) => s.Effect === "Allow") ?? [];
      expect(allow).toHaveLength(1);
      expect(allow[0].Principal).toEqual({ Service: "events.amazonaws.com" });
      expect(Object.keys(allow[0].Condition?.ArnEquals ?? {})).toEqual(["aws:SourceArn"]);
    }
  });

  it("gives every schedule a retry policy, a dead-letter queue and a role that invokes only its function", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const schedules = inv.ofType(T.schedule);

    // Assess
    expect(schedules.map((s) => s.inputs.name).sort()).toEqual([
      "spanless-dev-health",
      "spanless-dev-instance-refresh",
      "spanless-dev-mirror-reconcile",
    ]);
    for (const s of schedules) {
      const t = s.inputs.target;
      expect(t.retryPolicy.maximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(t.retryPolicy.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(inv.ofType(T.queue).some((q) => queueArn(q) === t.deadLetterConfig?.arn)).toBe(true);
      const role = inv
        .ofType(T.role)
        .find((r) => t.roleArn === `arn:aws:iam::${ACCOUNT}:role/${r.inputs.name}`);
      expect(role, `role of ${s.inputs.name}`).toBeDefined();
      const granted = ((role?.inputs.inlinePolicies ?? []) as { policy: string }[]).flatMap((p) =>
        statements(p.policy),
      );
      expect(granted.flatMap((g) => list(g.Action)).sort()).toEqual([
        "lambda:InvokeFunction",
        "sqs:SendMessage",
      ]);
      const invoke = granted.find((g) => list(g.Action).includes("lambda:InvokeFunction"));
      expect(list(invoke?.Resource)).toEqual([t.arn, `${t.arn}:*`]);
    }
  });

  it("sends every function's failed asynchronous invocations to an on-failure queue", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const configs = inv.ofType(T.invokeConfig);

    // Assess
    const functions = inv.ofType(T.fn).map((f) => f.inputs.name);
    expect(configs.map((c) => c.inputs.functionName).sort()).toEqual([...functions].sort());
    for (const c of configs) {
      expect(
        inv.ofType(T.queue).some((q) => queueArn(q) === c.inputs.destinationConfig.onFailure.destination),
      ).toBe(true);
    }
  });

  it("has every listed alarm, each explaining what to check first and paging the on-call topic on ALARM and OK", async () => {
    // Prepare
    const inv = await newVpc();
    const topic = inv.outputs.oncallTopicArn;

    // Act
    const alarms = inv.ofType(T.alarm);

    // Assess
    const kinds = new Set(alarms.map((a) => a.inputs.tags["spanless:alarm-kind"]));
    expect(ALARM_KINDS.filter((k) => !kinds.has(k))).toEqual([]);
    expect(
      alarms.filter((a) => a.inputs.tags["spanless:alarm-kind"] === "healthy-sensors-per-az"),
    ).toHaveLength(2);
    expect(alarms.filter((a) => a.inputs.tags["spanless:alarm-kind"] === "dlq-depth")).toHaveLength(
      inv.ofType(T.queue).length,
    );
    for (const a of alarms) {
      expect(a.inputs.alarmDescription, a.name).toMatch(/Check first: /);
      expect(a.inputs.alarmDescription.length, a.name).toBeLessThanOrEqual(1024);
      expect(a.inputs.alarmActions).toEqual([topic]);
      expect(a.inputs.okActions).toEqual([topic]);
      expect(["breaching", "notBreaching", "missing", "ignore"]).toContain(a.inputs.treatMissingData);
    }
    expect(topic).toMatch(ARN);
    const listener = alarms.filter((a) => a.inputs.tags["spanless:alarm-kind"] === "mirror-listener-missing");
    expect(listener.map((a) => [a.inputs.metricName, a.inputs.alarmActions])).toEqual([
      ["MirrorListenerMissing", [topic]],
    ]);
  });

  it("watches only metrics the functions, the sensors and AWS publish, with the stack's real dimensions", async () => {
    // Prepare
    const inv = await newVpc();
    const known = knownMetrics();

    // Act
    const used = inv.ofType(T.alarm).flatMap((a): [string, string, Record<string, string>][] => {
      if (a.inputs.metricName) return [[a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions ?? {}]];
      return (a.inputs.metricQueries as { metric?: Record<string, string>; expression?: string }[]).flatMap(
        (q) => {
          if (q.metric)
            return [[q.metric.namespace, q.metric.metricName, (q.metric.dimensions ?? {}) as never]];
          const insight = q.expression ? insightsMetric(q.expression) : undefined;
          return insight ? [[...insight, {}]] : [];
        },
      );
    });

    // Assess
    expect(used.filter(([ns, m]) => !known.get(ns)?.has(m))).toEqual([]);
    const nlb = used.filter(([ns]) => ns === "AWS/NetworkELB");
    expect(
      nlb.every(([, , d]) => d.LoadBalancer?.startsWith("net/") && d.TargetGroup?.startsWith("targetgroup/")),
    ).toBe(true);
    const fnNames = new Set(inv.ofType(T.fn).map((f) => f.inputs.name));
    const lambda = used.filter(([ns]) => ns === "AWS/Lambda");
    expect(lambda.every(([, , d]) => fnNames.has(d.FunctionName))).toBe(true);
  });

  it("gives each function the policy its README describes, and nothing beyond it", async () => {
    // Prepare
    const inv = await newVpc();
    const base = {
      "${Region}": "us-east-1",
      "${Account}": ACCOUNT,
      "<region>": "us-east-1",
      "<account>": ACCOUNT,
    };
    const refresh = fnNamed(inv, "instance-refresh");
    const health = fnNamed(inv, "health");
    const reconcile = fnNamed(inv, "mirror-reconcile");
    const topicName = String(env(refresh).ONCALL_TOPIC_ARN).split(":").at(-1) as string;
    const lt = inv.one("aws:ec2/launchTemplate:LaunchTemplate");
    const ltId = `lt-${/lt-([0-9a-f]+)/.exec(JSON.stringify(rolePolicy(inv, refresh)))?.[1]}`;

    // Act
    const cases: [string, PolicyDocument, PolicyDocument][] = [
      [
        "mirror-reconcile",
        rolePolicy(inv, reconcile),
        readmePolicy("mirror-on-launch", {
          ...base,
          "${Partition}": "aws",
          "${TargetId}": env(reconcile).MIRROR_TARGET_ID,
          "${FilterId}": env(reconcile).MIRROR_FILTER_ID,
          "${OwnerTagValue}": env(reconcile).OWNER_TAG_VALUE,
          "${Bucket}": env(reconcile).VNI_MAP_BUCKET,
          "${VniMapKey}": env(reconcile).VNI_MAP_KEY,
          "${FunctionName}": reconcile.inputs.name,
        }),
      ],
      [
        "instance-refresh",
        rolePolicy(inv, refresh),
        readmePolicy("instance-refresh", {
          ...base,
          "${Stage}": "dev",
          "${AsgName}": env(refresh).SENSOR_ASG_NAME,
          "${LaunchTemplateId}": ltId,
          "${TableName}": env(refresh).ROLLOUT_STATE_TABLE,
          "${TopicName}": topicName,
          "${ParameterKmsKeyArn}": `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
          "${SensorInstanceRoleArn}": `arn:aws:iam::${ACCOUNT}:role/spanless-dev-sensor`,
          "${FunctionName}": refresh.inputs.name,
        }),
      ],
      [
        "health",
        rolePolicy(inv, health),
        readmePolicy("health", {
          ...base,
          "<log-group>": env(health).SENSOR_LOG_GROUP,
          "<topic>": topicName,
          "<asg>": env(health).SENSOR_ASG_NAME,
          "<function>": health.inputs.name,
        }),
      ],
    ];

    // Assess
    expect(lt.inputs.name).toBe("spanless-dev-sensor");
    for (const [name, mine, theirs] of cases) {
      expect(missing(mine, theirs), name).toEqual([]);
      expect(beyond(mine, theirs), name).toEqual([]);
    }
    expect(inv.ofType(T.role).filter((r) => (r.inputs.managedPolicyArns ?? []).length > 0)).toEqual([]);
  });

  it("lets no operations role mutate EC2, Auto Scaling or SSM on * without a condition; ARNs well formed", async () => {
    // Prepare
    const inv = await newVpc();
    const mutation = (a: string) =>
      /^(ec2|autoscaling|ssm):/.test(a) && !/^(ec2|autoscaling|ssm):(Describe|Get|List)/.test(a);
    // The functions' and schedules' roles (the sensor and collector roles are the stack core's: sensor-role.test.ts).
    const names = new Set(inv.ofType(T.fn).map((f) => f.inputs.name));
    const ours = inv
      .ofType(T.role)
      .filter((r) => names.has(r.inputs.name) || String(r.inputs.name).endsWith("-schedule"));

    // Act
    const granted = ours
      .flatMap((r) =>
        ((r.inputs.inlinePolicies ?? []) as { policy: string }[]).flatMap((p) => statements(p.policy)),
      )
      .filter((s) => s.Effect === "Allow");

    // Assess
    expect(ours).toHaveLength(7);
    const unconditioned = granted.filter(
      (s) => list(s.Resource).includes("*") && !s.Condition && list(s.Action).some(mutation),
    );
    expect(unconditioned).toEqual([]);
    expect(granted.flatMap((s) => list(s.Action)).filter((a) => a.includes("*"))).toEqual([]);
    expect(granted.flatMap((s) => list(s.Resource)).filter((r) => r !== "*" && !ARN.test(r))).toEqual([]);
  });

  it("gives each function an environment its own configuration parser accepts", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const mirrorEvents = env(fnNamed(inv, "mirror-events"));
    const mirrorReconcile = env(fnNamed(inv, "mirror-reconcile"));
    const refresh = parseRefresh(env(fnNamed(inv, "instance-refresh")));
    const health = parseHealth(env(fnNamed(inv, "health")));

    // Assess
    expect(parsePolicy(mirrorEvents).target.mode).toBe("single");
    expect(parseRuntimeConfig(mirrorEvents).vniMapBucket).toBeUndefined();
    expect(parseRuntimeConfig(mirrorReconcile).vniMapBucket).toBe(inv.outputs.Bucket);
    // The listener check looks at the stack's own NLB; the event handler does not check.
    const nlbName = inv.named("aws:lb/loadBalancer:LoadBalancer", "SensorLoadBalancer").inputs.name;
    expect(parseRuntimeConfig(mirrorReconcile).sensorNlbArn).toMatch(
      new RegExp(`:loadbalancer/net/${nlbName}/`),
    );
    expect(parseRuntimeConfig(mirrorReconcile).sensorNlbArn).toBe(
      inv.one("aws:ec2/trafficMirrorTarget:TrafficMirrorTarget").inputs.networkLoadBalancerArn,
    );
    expect(parseRuntimeConfig(mirrorEvents).sensorNlbArn).toBeUndefined();
    expect(refresh.alarmNames).toEqual(
      inv
        .ofType(T.alarm)
        .filter((a) => a.inputs.tags["spanless:alarm-kind"] === "healthy-sensors-per-az")
        .map((a) => a.inputs.name)
        .sort(),
    );
    expect(refresh.crossZoneEnabled).toBe(false);
    expect(health.targetGroupArns).toHaveLength(1);
    expect(health.sensorLogGroup).toBe(inv.outputs.SensorLogGroup);
  });

  it("runs the functions on nodejs24.x arm64 with their own encrypted, retained log groups; the reconciler alone", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const functions = inv.ofType(T.fn);

    // Assess
    expect(functions).toHaveLength(4);
    for (const f of functions) {
      expect(f.inputs.runtime).toBe("nodejs24.x");
      expect(f.inputs.architectures).toEqual(["arm64"]);
      const group = inv.ofType(T.logGroup).find((g) => g.inputs.name === f.inputs.loggingConfig.logGroup);
      expect(group?.inputs.name).toBe(`/aws/lambda/${f.inputs.name}`);
      expect(group?.inputs.retentionInDays).toBeGreaterThan(0);
      expect(group?.inputs.kmsKeyId).toMatch(ARN);
    }
    expect(fnNamed(inv, "mirror-reconcile").inputs.reservedConcurrentExecutions).toBe(1);
  });

  it("publishes a dashboard of known metrics and its console URL", async () => {
    // Prepare
    const inv = await newVpc();
    const known = knownMetrics();

    // Act
    const body = JSON.parse(inv.one(T.dashboard).inputs.dashboardBody) as {
      widgets: { type: string; properties: { metrics?: unknown[][]; alarms?: string[] } }[];
    };

    // Assess
    const lines = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    const refs = lines.flatMap((l) =>
      typeof l[0] === "string"
        ? [[l[0], l[1] as string]]
        : [insightsMetric(String((l[0] as { expression: string }).expression))].filter(
            (x) => x !== undefined,
          ),
    ) as [string, string][];
    expect(refs.filter(([ns, m]) => !known.get(ns)?.has(m))).toEqual([]);
    const alarms = body.widgets.find((w) => w.type === "alarm")?.properties.alarms ?? [];
    expect(alarms).toHaveLength(inv.ofType(T.alarm).length);
    expect(inv.outputs.dashboardUrl).toBe(
      `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${inv.one(T.dashboard).inputs.dashboardName}`,
    );
  });

  it("creates an encrypted topic publishable only by alarms and the paging functions, e-mail subscribed", async () => {
    // Prepare
    const inv = await newVpc();

    // Act
    const topic = inv.one(T.topic);
    const policy = statements(inv.one(T.topicPolicy).inputs.policy);

    // Assess
    expect(topic.inputs.kmsMasterKeyId).toMatch(ARN);
    const publishers = policy.filter((s) => s.Effect === "Allow" && list(s.Action).includes("sns:Publish"));
    const roles = ["instance-refresh", "health"].map((n) => `arn:aws:iam::${ACCOUNT}:role/spanless-dev-${n}`);
    expect(publishers.map((s) => s.Principal)).toEqual([
      { Service: "cloudwatch.amazonaws.com" },
      { AWS: roles },
    ]);
    expect(inv.one("aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      protocol: "email",
      endpoint: "oncall@example.com",
    });
  });

  it("uses an existing topic from the config: no topic, key or topic policy of its own", async () => {
    // Prepare
    const topicArn = "arn:aws:sns:us-east-1:123456789012:oncall";

    // Act
    const inv = await inventory(baseConfig({ alarms: { topicArn } }));

    // Assess
    expect(inv.ofType(T.topic)).toEqual([]);
    expect(inv.ofType(T.topicPolicy)).toEqual([]);
    expect(inv.ofType(T.alarm).every((a) => a.inputs.alarmActions[0] === topicArn)).toBe(true);
    expect(env(fnNamed(inv, "health")).ALERT_TOPIC_ARN).toBe(topicArn);
    const health = rolePolicy(inv, fnNamed(inv, "health"));
    expect(health.Statement.some((s) => s.Action.includes("kms:GenerateDataKey"))).toBe(false);
    expect(inv.ofType("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
  });

  it("subscribes the e-mail address to an existing topic when both are given", async () => {
    // Prepare
    const topicArn = "arn:aws:sns:us-east-1:123456789012:oncall";

    // Act
    const inv = await inventory(baseConfig({ alarms: { topicArn, email: "team@example.com" } }));

    // Assess
    expect(inv.ofType(T.topic)).toEqual([]);
    expect(inv.one("aws:sns/topicSubscription:TopicSubscription").inputs).toEqual({
      topic: topicArn,
      protocol: "email",
      endpoint: "team@example.com",
    });
  });

  it("follows the existing-VPC example: its parameter prefix, zones, cross-zone setting and region", async () => {
    // Prepare
    const file = join(ROOT, "examples", "stack", "existing-vpc.json");

    // Act
    const inv = await inventory(file, { stage: "prod", region: "eu-west-1" });

    // Assess
    const rule = inv.ofType(T.rule).find((r) => r.inputs.name === "spanless-prod-refresh-parameters");
    expect(JSON.parse(rule?.inputs.eventPattern).detail.name).toEqual([{ prefix: "/acme/spanless/prod/" }]);
    const refresh = fnNamed(inv, "instance-refresh");
    expect(parseRefresh(env(refresh))).toMatchObject({
      parameterPrefix: "/acme/spanless/prod",
      crossZoneEnabled: true,
    });
    const read = rolePolicy(inv, refresh).Statement.find((x) => x.Sid === "ReadSensorParameters");
    expect(read?.Resource).toContain(
      "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/spanless/prod/push-token",
    );
    const healthy = inv
      .ofType(T.alarm)
      .filter((a) => a.inputs.tags["spanless:alarm-kind"] === "healthy-sensors-per-az");
    expect(healthy.map((a) => a.inputs.dimensions.AvailabilityZone).sort()).toEqual([
      "eu-west-1a",
      "eu-west-1b",
    ]);
    expect(healthy[0].inputs.alarmDescription).toMatch(/other zones' sensors take the traffic/);
    expect(inv.outputs.dashboardUrl).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\//);
  });
});
