import { describe, expect, it } from "vitest";
import { loadHealthConfig } from "../../../functions/health/config.js";
import { HealthConfigError } from "../../../functions/health/errors.js";

const REQUIRED = {
  SENSOR_LOG_GROUP: "/spanless/sensors/userdata",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:spanless-oncall",
  SENSOR_ASG_NAME: "spanless-sensors",
};

describe("loadHealthConfig", () => {
  it("applies the documented defaults", () => {
    // Prepare / Act
    const config = loadHealthConfig(REQUIRED);
    // Assess
    expect(config).toEqual({
      sensorLogGroup: "/spanless/sensors/userdata",
      alertTopicArn: REQUIRED.ALERT_TOPIC_ARN,
      autoScalingGroupName: "spanless-sensors",
      targetGroupArns: [],
      mirrorCoverage: { namespace: "Spanless", metricName: "MirrorCoverage", dimensions: [] },
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
      ABANDON_FAILED_BOOTS: "false",
    };
    // Act
    const config = loadHealthConfig(env);
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
    [{ SENSOR_LOG_GROUP: "" }, /SENSOR_LOG_GROUP is not set/],
    [{ ALERT_TOPIC_ARN: "spanless-oncall" }, /ALERT_TOPIC_ARN="spanless-oncall" is not an ARN/],
    [{ SENSOR_TARGET_GROUP_ARNS: "tg-1" }, /SENSOR_TARGET_GROUP_ARNS: "tg-1" is not an ARN/],
    [{ MIRROR_COVERAGE_DIMENSIONS: "Vpc" }, /"Vpc" is not Name=Value/],
    [{ SUMMARY_PERIOD_MINUTES: "0" }, /SUMMARY_PERIOD_MINUTES="0" must be a whole number from 1 to 1440/],
    [{ LOG_LINES_IN_MESSAGE: "500" }, /LOG_LINES_IN_MESSAGE="500" must be a whole number from 1 to 100/],
    [{ ABANDON_FAILED_BOOTS: "yes" }, /ABANDON_FAILED_BOOTS="yes" must be true or false/],
  ])("names the variable and the expected form: %o", (override, message) => {
    // Prepare
    const env = { ...REQUIRED, ...override };
    // Act / Assess
    expect(() => loadHealthConfig(env)).toThrow(HealthConfigError);
    expect(() => loadHealthConfig(env)).toThrow(message);
  });
});
