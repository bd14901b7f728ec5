import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/instance-refresh/config.js";
import { SettingsError } from "../../../functions/instance-refresh/errors.js";

const BASE = {
  SPANLESS_STAGE: "prod",
  SENSOR_ASG_NAME: "spanless-prod-sensors",
  ROLLOUT_STATE_TABLE: "spanless-prod-rollout-state",
  ONCALL_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:spanless-prod-oncall",
};

describe("parseConfig", () => {
  it("applies documented defaults", () => {
    // Prepare / Act
    const s = parseConfig(BASE);
    // Assess
    expect(s).toEqual({
      stage: "prod",
      parameterPrefix: "/spanless/prod",
      asgName: "spanless-prod-sensors",
      stateTableName: "spanless-prod-rollout-state",
      topicArn: BASE.ONCALL_TOPIC_ARN,
      debounceWindowMs: 120_000,
      maxDebounceDelayMs: 600_000,
      alarmNames: [],
      crossZoneEnabled: false,
      parameterLabel: undefined,
      instanceWarmupSeconds: undefined,
    });
  });

  it("reads every optional variable", () => {
    // Prepare / Act
    const s = parseConfig({
      ...BASE,
      CONFIG_PARAMETER_PREFIX: "/acme/sensors/prod",
      DEBOUNCE_WINDOW_SECONDS: "30",
      REFRESH_ALARM_NAMES: " a , b ,",
      CROSS_ZONE_ENABLED: "YES",
      CONFIG_PARAMETER_LABEL: "live",
      INSTANCE_WARMUP_SECONDS: "300",
    });
    // Assess
    expect(s).toMatchObject({
      parameterPrefix: "/acme/sensors/prod",
      debounceWindowMs: 30_000,
      alarmNames: ["a", "b"],
      crossZoneEnabled: true,
      parameterLabel: "live",
      instanceWarmupSeconds: 300,
    });
  });

  it.each([
    [{ SENSOR_ASG_NAME: undefined }, "SENSOR_ASG_NAME"],
    [{ ONCALL_TOPIC_ARN: "spanless-oncall" }, "ONCALL_TOPIC_ARN: must be an SNS topic ARN"],
    [{ DEBOUNCE_WINDOW_SECONDS: "4000" }, "DEBOUNCE_WINDOW_SECONDS"],
    [{ DEBOUNCE_WINDOW_SECONDS: "1.5" }, "whole number"],
    [{ REFRESH_ALARM_NAMES: "a,b,c,d,e,f,g,h,i,j,k" }, "more than 10 alarms"],
    [
      { CROSS_ZONE_ENABLED: "maybe" },
      'CROSS_ZONE_ENABLED: must be one of true/false, 1/0, yes/no (any case), not "maybe"',
    ],
    [{ SENSOR_ASG_NAME: "  " }, "SENSOR_ASG_NAME: is required"],
    [{ CONFIG_PARAMETER_LABEL: "aws-live" }, "must not start with aws"],
    [{ SPANLESS_STAGE: "Prod" }, "SPANLESS_STAGE: "],
    [{ SPANLESS_STAGE: "Prod" }, "lowercase"],
    [{ CONFIG_PARAMETER_PREFIX: "/aws/x" }, "CONFIG_PARAMETER_PREFIX: "],
    [{ CONFIG_PARAMETER_PREFIX: "/aws/x" }, "reserved by AWS"],
  ])("rejects %j naming the variable", (override, text) => {
    // Prepare / Act
    const act = () => parseConfig({ ...BASE, ...override });
    // Assess
    expect(act).toThrow(SettingsError);
    expect(act).toThrow(text);
  });
});
