// A failed sensor launch end to end: EventBridge event → CloudWatch Logs (moto) → diagnosis → SNS (moto).
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NotificationPublishError } from "../../../functions/health/errors.js";
import { type HealthDeps, runHealth } from "../../../functions/health/handler.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { loadEvent, loadLog, SENSOR_ASG } from "./support/fixtures.js";
import { createTopic, LOG_GROUP, makeDeps, publishedMessages, writeUserDataLog } from "./support/harness.js";

describe("health: failed sensor launch → on-call message", () => {
  const moto = useMoto();
  let topicArn: string;
  let deps: HealthDeps;
  let telemetry: CapturedTelemetry;

  beforeEach(async () => {
    telemetry = captureTelemetry();
    deps = makeDeps(moto, "arn:aws:sns:us-east-1:123456789012:placeholder");
    topicArn = await createTopic(deps.sns, "spanless-oncall");
    deps.config.alertTopicArn = topicArn;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("reports a KMS denial found in a real-looking user-data log with instance, AZ, ASG, step, lines and fix", async () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-heartbeat-timeout");
    const instanceId = String(event.detail.EC2InstanceId);
    const lines = loadLog("kms-access-denied");
    await writeUserDataLog(deps.logs, instanceId, lines);
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "kms-access-denied" });
    const messages = await publishedMessages(moto, topicArn);
    expect(messages).toHaveLength(1);
    const [{ subject, body, attributes }] = messages;
    expect(attributes).toEqual({
      kind: "launch-failure",
      cause: "kms-access-denied",
      autoScalingGroupName: SENSOR_ASG,
      availabilityZone: "us-east-1b",
      failingStep: "kms-decrypt",
    });
    expect(subject).toBe(
      "[Spanless] Sensor launch failed in us-east-1b: kms-access-denied at kms-decrypt (spanless-sensors)",
    );
    expect(body).toContain("KMS access denied while decrypting the configuration [kms-access-denied]");
    expect(body).toContain(`Instance:      ${instanceId}`);
    expect(body).toContain("AZ / subnet:   us-east-1b / subnet-0a7d2e4c6b8f13579");
    expect(body).toContain(`ASG:           ${SENSOR_ASG}`);
    expect(body).toContain("Failing step:  kms-decrypt");
    expect(body).toMatch(
      /Evidence: +AccessDeniedException: User: .* is not authorized to perform: kms:Decrypt/,
    );
    expect(body).toMatch(/Fix: +The sensor instance role cannot decrypt/);
    expect(body).toContain("Heartbeat Timeout");
    expect(body).toContain(
      "Launched for:  At 2026-11-24T02:05:04Z an instance was started in response to a difference",
    );
    expect(body).toContain(`${LOG_GROUP} / ${instanceId}-userdata`);
    expect(body).toContain(`Last ${lines.length} log lines:`);
    expect(body).toContain(`  ${lines.at(-1)}`);
    expect(body).toContain("step=kms-decrypt status=fail");
    expect(body).toContain("Boot steps:    fetch-config ok · kms-decrypt FAIL");
    const launchFailures = telemetry.metricValues("LaunchFailures");
    expect(launchFailures).toHaveLength(1);
    expect(launchFailures[0].value).toBe(1);
    expect(launchFailures[0].record.AutoScalingGroupName).toBe(SENSOR_ASG);
    expect(launchFailures[0].record.cause).toBe("kms-access-denied");
  });

  it("reports an invalid push token and never copies the token into the message", async () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-abandoned");
    await writeUserDataLog(deps.logs, String(event.detail.EC2InstanceId), loadLog("invalid-token"));
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "invalid-token" });
    const [{ subject, body }] = await publishedMessages(moto, topicArn);
    expect(subject).toContain("invalid-token at push-token-auth");
    expect(body).toContain("The collector rejected the push token");
    expect(body).toContain("Authorization: «redacted»");
    expect(body).not.toContain("Zx9fQ2kLmN4pR7sT");
  });

  it("says the log stream is missing instead of failing, and still names the cause Auto Scaling gave", async () => {
    // Prepare: the group exists, the instance never shipped its log.
    await writeUserDataLog(deps.logs, "i-0aaaaaaaaaaaaaaa1", ["unrelated instance"]);
    const event = loadEvent("launch-unsuccessful-heartbeat-timeout");
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "lifecycle-heartbeat-timeout" });
    const [{ body }] = await publishedMessages(moto, topicArn);
    expect(body).toContain(`NO LOG STREAM ${String(event.detail.EC2InstanceId)}-userdata in ${LOG_GROUP}`);
    expect(body).toContain(
      `aws ec2 get-console-output --instance-id ${String(event.detail.EC2InstanceId)} --latest`,
    );
    expect(body).toContain("lifecycle hook timed out");
    const missing = telemetry.metricValues("BootLogMissing");
    expect(missing.map((m) => m.value)).toEqual([1]);
    expect(missing[0].record.AutoScalingGroupName).toBe(SENSOR_ASG);
  });

  it("says the log group does not exist when SENSOR_LOG_GROUP points nowhere", async () => {
    // Prepare: no log group at all in moto.
    const event = loadEvent("launch-unsuccessful-abandoned");
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result.action).toBe("notified");
    const [{ body }] = await publishedMessages(moto, topicArn);
    expect(body).toContain(`LOG GROUP ${LOG_GROUP} DOES NOT EXIST`);
    expect(body).toContain("The launch was abandoned by the boot script");
  });

  it("reports a launch that never got an instance with the EC2 capacity hint", async () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-no-instance");
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "ec2-capacity" });
    const [{ subject, body }] = await publishedMessages(moto, topicArn);
    expect(subject).toBe("[Spanless] Sensor launch failed in us-east-1c: ec2-capacity (spanless-sensors)");
    expect(body).toContain("Instance:      (none — EC2 did not create one)");
    expect(body).toContain("EC2 never created an instance");
    expect(body).toContain("sufficient c5n.2xlarge capacity");
  });

  it("reports a sensor replaced for failing its health check after a clean boot", async () => {
    // Prepare
    const event = loadEvent("terminate-unhealthy");
    await writeUserDataLog(deps.logs, String(event.detail.EC2InstanceId), loadLog("booted-ok"));
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "failed-health-check" });
    const [{ subject, body }] = await publishedMessages(moto, topicArn);
    expect(subject).toBe(
      "[Spanless] Unhealthy sensor replaced in us-east-1a: failed-health-check (spanless-sensors)",
    );
    expect(body).toContain(
      "Spanless sensor REPLACED AS UNHEALTHY — The sensor failed its health check and was replaced",
    );
    expect(body).toContain("health-check ok");
    expect(body).toContain("ASG says:      At 2026-11-24T04:11:31Z an instance was taken out of service");
    expect(telemetry.metricValues("UnhealthySensorsReplaced").map((m) => m.value)).toEqual([1]);
    expect(telemetry.metricValues("LaunchFailures")).toEqual([]);
  });

  it("splits multi-line log events (CloudWatch agent multi_line) into lines in time order", async () => {
    // Prepare: the agent shipped the stack trace and the failing marker as one event.
    const event = loadEvent("launch-unsuccessful-abandoned");
    const instanceId = String(event.detail.EC2InstanceId);
    const lines = loadLog("parameter-missing");
    await writeUserDataLog(deps.logs, instanceId, [
      lines.slice(0, 2).join("\n"),
      `${lines.slice(2).join("\n")}\n`,
    ]);
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "parameter-missing" });
    const [{ body }] = await publishedMessages(moto, topicArn);
    expect(body).toContain(`Last ${lines.length} log lines:`);
  });

  it("says the log could not be read (and why) when CloudWatch Logs refuses, and still pages", async () => {
    // Prepare
    const logs = mockClient(deps.logs);
    const denied = Object.assign(new Error("User is not authorized to perform: logs:GetLogEvents"), {
      name: "AccessDeniedException",
    });
    logs.on(GetLogEventsCommand).rejects(denied);
    const event = loadEvent("launch-unsuccessful-abandoned");
    // Act
    const result = await runHealth(deps, event);
    logs.restore();
    // Assess
    expect(result).toMatchObject({ action: "notified", cause: "lifecycle-abandoned" });
    const [{ body }] = await publishedMessages(moto, topicArn);
    expect(body).toContain(
      `could not read ${LOG_GROUP} / ${String(event.detail.EC2InstanceId)}-userdata: AccessDeniedException: User is not authorized to perform: logs:GetLogEvents`,
    );
  });

  it("sends nothing for the start of a launch lifecycle wait", async () => {
    // Prepare
    const event = loadEvent("launch-lifecycle-action");
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result.action).toBe("none");
    expect(await publishedMessages(moto, topicArn)).toEqual([]);
    expect(telemetry.metricValues("LaunchFailures")).toEqual([]);
  });

  it("logs and counts a malformed event without throwing or paging", async () => {
    // Prepare
    const event = loadEvent("launch-unsuccessful-abandoned");
    event.detail = { StatusCode: "Failed" };
    // Act
    const result = await runHealth(deps, event);
    // Assess
    expect(result).toEqual({
      action: "rejected",
      problem: expect.stringContaining("EC2 Instance Launch Unsuccessful: field AutoScalingGroupName"),
    });
    expect(await publishedMessages(moto, topicArn)).toEqual([]);
    expect(telemetry.metricValues("HealthEventsRejected").map((m) => m.value)).toEqual([1]);
  });

  it("throws NotificationPublishError when the topic is gone, so the invocation is retried", async () => {
    // Prepare
    deps.config.alertTopicArn = "arn:aws:sns:us-east-1:123456789012:deleted-topic";
    const event = loadEvent("launch-unsuccessful-no-instance");
    // Act
    const run = runHealth(deps, event);
    // Assess
    await expect(run).rejects.toBeInstanceOf(NotificationPublishError);
    await expect(run).rejects.toThrow(/deleted-topic/);
    // Not counted as a launch failure yet: the retried invocation counts it once the page is out.
    expect(telemetry.metricValues("LaunchFailures")).toEqual([]);
    expect(telemetry.metricValues("HealthHandlerErrors").map((m) => m.value)).toEqual([1]);
  });
});
