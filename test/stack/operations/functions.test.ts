// The environment the stack gives each function is one its own config.ts accepts, and means what the stack
// intends (the right group, topic, target, alarms).
import { describe, expect, it } from "vitest";
import { parseConfig as parseHealth } from "../../../functions/health/config.js";
import * as healthIndex from "../../../functions/health/index.js";
import { parseConfig as parseRefresh } from "../../../functions/instance-refresh/config.js";
import * as refreshIndex from "../../../functions/instance-refresh/index.js";
import { parsePolicy, parseRuntimeConfig } from "../../../functions/mirror-on-launch/config.js";
import * as mirrorIndex from "../../../functions/mirror-on-launch/index.js";
import { refreshGuardAlarmNames } from "../../../stack/operations/alarms.js";
import {
  FUNCTION_KEYS,
  FUNCTIONS,
  healthEnvironment,
  mirrorEnvironment,
  rateExpression,
  refreshEnvironment,
  SCHEDULES,
} from "../../../stack/operations/functions.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:spanless-dev-oncall";

describe("function environments", () => {
  it("mirror-on-launch: the stack's policy parses to the target, filter, scope and sensor group", () => {
    // Prepare
    const env = mirrorEnvironment({
      targetId: "tmt-0123456789abcdef0",
      filterId: "tmf-0123456789abcdef0",
      sensorAsgName: "spanless-dev-sensors",
      vniMapBucket: "spanless-dev-records",
      vniMapKey: "spanless/vni-map.json",
      policy: {
        includeVpcIds: ["vpc-0123456789abcdef0"],
        selectTags: ["env=prod|staging", "mirror"],
        selectTagsMode: "any",
        eniScope: "primary",
        packetLength: 8500,
        ownerTagValue: "spanless-dev",
        removeOnStop: false,
      },
    });

    // Act
    const policy = parsePolicy(env);
    const runtime = parseRuntimeConfig(env);

    // Assess
    expect(policy.target).toEqual({ mode: "single", targetId: "tmt-0123456789abcdef0" });
    expect(policy.filterId).toBe("tmf-0123456789abcdef0");
    expect(policy.sensorAsgNames).toEqual(["spanless-dev-sensors"]);
    expect(policy.includeVpcIds).toEqual(["vpc-0123456789abcdef0"]);
    expect(policy.selectMode).toBe("any");
    expect(policy.eniScope).toBe("primary");
    expect(policy.ownerTagValue).toBe("spanless-dev");
    expect(policy.removeOnStop).toBe(false);
    expect(runtime).toMatchObject({ vniMapBucket: "spanless-dev-records", dryRun: false });
  });

  it("mirror-on-launch: the event handler's environment (no VNI map) parses and publishes nothing", () => {
    // Prepare
    const env = mirrorEnvironment({
      targetId: "tmt-0123456789abcdef0",
      filterId: "tmf-0123456789abcdef0",
      sensorAsgName: "spanless-dev-sensors",
      policy: { ownerTagValue: "spanless-dev" },
    });

    // Act
    const runtime = parseRuntimeConfig(env);

    // Assess
    expect(parsePolicy(env).selectTags).toEqual([]);
    expect(runtime.vniMapBucket).toBeUndefined();
    expect(Object.values(env).every((v) => v !== undefined && v !== "")).toBe(true);
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
