// The environment the stack gives each function is one its own config.ts accepts, and means what the stack
// intends (the right group, topic, target, alarms).
import { describe, expect, it } from "vitest";
import { parseConfig as parseHealth } from "../../../functions/health/config.js";
import * as healthIndex from "../../../functions/health/index.js";
import { parseConfig as parseRefresh } from "../../../functions/instance-refresh/config.js";
import * as refreshIndex from "../../../functions/instance-refresh/index.js";
import { parsePolicy, parseRuntimeConfig } from "../../../functions/mirror-on-launch/config.js";
import * as mirrorIndex from "../../../functions/mirror-on-launch/index.js";
import { finishConfig, stackConfigSchema } from "../../../stack/config/schema.js";
import { mirrorPolicyEnv } from "../../../stack/mirror-policy.js";
import { stackNames } from "../../../stack/names.js";
import { refreshGuardAlarmNames } from "../../../stack/operations/alarms.js";
import {
  FUNCTION_KEYS,
  FUNCTIONS,
  healthEnvironment,
  mirrorRuntimeEnvironment,
  rateExpression,
  refreshEnvironment,
  SCHEDULES,
} from "../../../stack/operations/functions.js";

import { baseConfig } from "../support/inventory.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:spanless-dev-oncall";

describe("function environments", () => {
  it("mirror-on-launch: the core's policy plus the reconciler's runtime variables parse as intended", () => {
    // Prepare
    const config = finishConfig(
      stackConfigSchema.parse({
        ...baseConfig(),
        mirror: {
          includeVpcIds: ["vpc-0123456789abcdef0"],
          selectTags: ["env=prod|staging"],
          selectTagsMode: "any",
        },
      }),
      "dev",
    );
    const fleet = {
      mirrorTarget: { id: "tmt-0123456789abcdef0" },
      mirrorFilter: { id: "tmf-0123456789abcdef0" },
    };

    // Act
    const env = {
      ...mirrorPolicyEnv(
        config,
        stackNames("dev"),
        fleet as unknown as Parameters<typeof mirrorPolicyEnv>[2],
      ),
      ...mirrorRuntimeEnvironment({
        vniMapBucket: "spanless-dev-records",
        vniMapKey: "spanless/vni-map.json",
      }),
    } as Record<string, string>;

    // Assess
    const policy = parsePolicy(env);
    expect(policy.target).toEqual({ mode: "single", targetId: "tmt-0123456789abcdef0" });
    expect(policy.sensorAsgNames).toEqual(["spanless-dev-sensors"]);
    expect(policy.includeVpcIds).toEqual(["vpc-0123456789abcdef0"]);
    expect(policy.ownerTagValue).toBe("spanless-dev");
    expect(parseRuntimeConfig(env)).toMatchObject({
      vniMapBucket: "spanless-dev-records",
      vniMapKey: "spanless/vni-map.json",
      dryRun: false,
    });
  });

  it("mirror-on-launch: the reconciler's SENSOR_NLB_ARN names the NLB its listener check looks at", () => {
    // Prepare
    const nlb =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/spanless-dev-sensors/0123456789abcdef";

    // Act
    const env = mirrorRuntimeEnvironment<string>({ vniMapBucket: "spanless-dev-records", sensorNlbArn: nlb });

    // Assess
    expect(env.SENSOR_NLB_ARN).toBe(nlb);
    expect(parseRuntimeConfig(env).sensorNlbArn).toBe(nlb);
  });

  it("mirror-on-launch: the event handler gets no VNI map variables, so it publishes nothing", () => {
    // Prepare
    const input = {};

    // Act
    const env = mirrorRuntimeEnvironment<string>(input);

    // Assess
    expect(env).toEqual({});
    expect(parseRuntimeConfig(env).vniMapBucket).toBeUndefined();
  });

  it("instance-refresh: parses with the per-AZ guard alarms and cross-zone setting", () => {
    // Prepare
    const alarms = refreshGuardAlarmNames("spanless-dev", ["us-east-1a", "us-east-1b"]);

    // Act
    const settings = parseRefresh(
      refreshEnvironment({
        stage: "dev",
        parameterPrefix: "/spanless/dev",
        sensorAsgName: "spanless-dev-sensors",
        tableName: "spanless-dev-rollout-state",
        topicArn: TOPIC,
        alarmNames: alarms,
        crossZoneEnabled: false,
      }),
    );

    // Assess
    expect(settings).toMatchObject({
      parameterPrefix: "/spanless/dev",
      asgName: "spanless-dev-sensors",
      stateTableName: "spanless-dev-rollout-state",
      topicArn: TOPIC,
      alarmNames: ["spanless-dev-healthy-sensors-us-east-1a", "spanless-dev-healthy-sensors-us-east-1b"],
      crossZoneEnabled: false,
    });
  });

  it("health: parses, looks back exactly one schedule period and reads the target group", () => {
    // Prepare
    const tg =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/spanless-dev-vxlan/0123456789abcdef";

    // Act
    const config = parseHealth(
      healthEnvironment({
        sensorLogGroupName: "/spanless/dev/sensors",
        topicArn: TOPIC,
        sensorAsgName: "spanless-dev-sensors",
        targetGroupArn: tg,
      }),
    );

    // Assess
    expect(config.summaryPeriodMinutes).toBe(SCHEDULES.health.minutes);
    expect(config.targetGroupArns).toEqual([tg]);
    expect(config.mirrorCoverage).toEqual({
      namespace: "Spanless",
      metricName: "MirrorCoveragePercent",
      dimensions: [{ Name: "service", Value: "spanless-mirror-on-launch" }],
    });
  });
});

describe("function settings", () => {
  it("point every handler at an export of its function's index.ts, within Lambda's limits", () => {
    // Prepare
    const problems: string[] = [];
    const indexes: Record<string, Record<string, unknown>> = {
      "mirror-on-launch": mirrorIndex,
      "instance-refresh": refreshIndex,
      health: healthIndex,
    };

    // Act
    for (const key of FUNCTION_KEYS) {
      const spec = FUNCTIONS[key];
      const [file, exported] = spec.handler.split(/\.(?=[^.]+$)/);
      const mod = indexes[spec.source];
      if (file !== `functions/${spec.source}/index`) problems.push(`${key}: ${file}`);
      if (typeof mod[exported] !== "function") problems.push(`${key}: no export ${exported}`);
      if (spec.timeoutSeconds > 900 || spec.memoryMb < 128 || spec.memoryMb > 10_240)
        problems.push(`${key}: limits`);
    }

    // Assess
    expect(problems).toEqual([]);
    expect(FUNCTIONS.instanceRefresh.timeoutSeconds).toBeLessThanOrEqual(120);
    expect(FUNCTIONS.mirrorReconcile.reservedConcurrency).toBe(1);
  });

  it("writes rate expressions EventBridge Scheduler accepts", () => {
    // Prepare
    const minutes = [1, 5, 15];

    // Act
    const expressions = minutes.map(rateExpression);

    // Assess
    expect(expressions).toEqual(["rate(1 minute)", "rate(5 minutes)", "rate(15 minutes)"]);
  });
});
