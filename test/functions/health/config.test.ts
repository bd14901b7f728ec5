import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/health/config.js";
import { HealthConfigError } from "../../../functions/health/errors.js";

const REQUIRED = {
  SENSOR_LOG_GROUP: "/spanless/sensors/userdata",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:spanless-oncall",
  SENSOR_ASG_NAME: "spanless-sensors",
};

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    // Prepare / Act
    const config = parseConfig(REQUIRED);
    // Assess
    expect(config).toEqual({
      sensorLogGroup: "/spanless/sensors/userdata",
      alertTopicArn: REQUIRED.ALERT_TOPIC_ARN,
      autoScalingGroupName: "spanless-sensors",
      targetGroupArns: [],
      mirrorCoverage: {
        namespace: "Spanless",
        metricName: "MirrorCoveragePercent",
        dimensions: [{ Name: "service", Value: "spanless-mirror-on-launch" }],
      },
      summaryPeriodMinutes: 15,
      logLinesInMessage: 20,
      abandonFailedBoots: true,
    });
  });

  it("reads lists, dimensions and numbers", () => {
    // Prepare
    const env = {
      ...REQUIRED,
      SENSOR_TARGET_GROUP_ARNS:
        " arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/1 ,arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2",
      MIRROR_COVERAGE_DIMENSIONS: "Vpc=vpc-0abc, Mode=nlb",
      SUMMARY_PERIOD_MINUTES: "60",
      ABANDON_FAILED_BOOTS: "No",
    };
    // Act
    const config = parseConfig(env);
    // Assess
    expect(config.targetGroupArns).toHaveLength(2);
    expect(config.mirrorCoverage.dimensions).toEqual([
      { Name: "Vpc", Value: "vpc-0abc" },
      { Name: "Mode", Value: "nlb" },
    ]);
    expect(config.summaryPeriodMinutes).toBe(60);
    expect(config.abandonFailedBoots).toBe(false);
  });

  it.each([
    [{ SENSOR_LOG_GROUP: "" }, /SENSOR_LOG_GROUP: is required/],
    [{ ALERT_TOPIC_ARN: "spanless-oncall" }, /ALERT_TOPIC_ARN: must be an ARN/],
    [{ SENSOR_TARGET_GROUP_ARNS: "tg-1" }, /SENSOR_TARGET_GROUP_ARNS\.0: must be an ARN/],
    [{ MIRROR_COVERAGE_DIMENSIONS: "Vpc" }, /MIRROR_COVERAGE_DIMENSIONS: "Vpc" is not Name=Value/],
    [{ SUMMARY_PERIOD_MINUTES: "0" }, /SUMMARY_PERIOD_MINUTES: must be a whole number from 1 to 1440/],
    [{ LOG_LINES_IN_MESSAGE: "500" }, /LOG_LINES_IN_MESSAGE: must be a whole number from 1 to 100/],
    [
      { ABANDON_FAILED_BOOTS: "maybe" },
      /ABANDON_FAILED_BOOTS: must be one of true\/false, 1\/0, yes\/no \(any case\), not "maybe"/,
    ],
  ])("names the variable and the expected form: %o", (override, message) => {
    // Prepare
    const env = { ...REQUIRED, ...override };
    // Act / Assess
    expect(() => parseConfig(env)).toThrow(HealthConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it("reads a mirror coverage metric without dimensions", () => {
    // Prepare / Act
    const config = parseConfig({ ...REQUIRED, MIRROR_COVERAGE_DIMENSIONS: "none" });
    // Assess
    expect(config.mirrorCoverage.dimensions).toEqual([]);
  });
});
