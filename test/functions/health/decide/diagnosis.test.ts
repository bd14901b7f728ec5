import { describe, expect, it } from "vitest";
import { classifyStatusMessage, diagnoseBoot } from "../../../../functions/health/decide/diagnosis.js";
import { loadEvent, loadLog } from "../support/fixtures.js";

const HEARTBEAT = String(loadEvent("launch-unsuccessful-heartbeat-timeout").detail.StatusMessage);
const ABANDONED = String(loadEvent("launch-unsuccessful-abandoned").detail.StatusMessage);
const CAPACITY = String(loadEvent("launch-unsuccessful-no-instance").detail.StatusMessage);

describe("diagnoseBoot on real-looking user-data logs", () => {
  it.each([
    [
      "kms-access-denied",
      "kms-access-denied",
      "kms-decrypt",
      /not authorized to perform: kms:Decrypt/,
      /kms:Decrypt/,
    ],
    ["invalid-token", "invalid-token", "push-token-auth", /401 Unauthorized/, /label:secret/],
    [
      "collector-unreachable",
      "collector-unreachable",
      "collector-reachable",
      /ETIMEDOUT 198\.51\.100\.24:443/,
      /collector URL/,
    ],
    ["proxy-refused", "proxy-refused", "proxy-check", /407 from proxy/, /proxy parameter/],
    [
      "parameter-missing",
      "parameter-missing",
      "fetch-config",
      /InvalidParameters \[\/spanless\/prod\/ossensor-hmac:3\]/,
      /SSM Parameter Store/,
    ],
  ])("%s → cause %s at step %s", (log, cause, step, evidence, hint) => {
    // Prepare
    const lines = loadLog(log);
    // Act
    const d = diagnoseBoot(lines, ABANDONED);
    // Assess
    expect(d.cause).toBe(cause);
    expect(d.failingStep).toBe(step);
    expect(d.evidence).toMatch(evidence);
    expect(d.fixHint).toMatch(hint);
    expect(d.stepSummary?.endsWith(`${step} FAIL`)).toBe(true);
    expect(d.markerProblems).toEqual([]);
  });

  it("summarises the steps that completed before the failure", () => {
    // Prepare / Act
    const d = diagnoseBoot(loadLog("invalid-token"));
    // Assess
    expect(d.stepSummary).toBe(
      "fetch-config ok · validate-config ok · kms-decrypt ok · proxy-check ok · collector-reachable ok · push-token-auth FAIL",
    );
  });

  it("names the step a boot hung in when the lifecycle hook timed out", () => {
    // Prepare / Act
    const d = diagnoseBoot(loadLog("hung-no-fail"), HEARTBEAT);
    // Assess
    expect(d.cause).toBe("lifecycle-heartbeat-timeout");
    expect(d.failingStep).toBe("health-check");
    expect(d.title).toBe("Boot step health-check never finished");
    expect(d.evidence).toMatch(/no answer on :8443/);
    expect(d.fixHint).toMatch(/HeartbeatTimeout/);
    expect(d.fixHint).toMatch(/journalctl -u spanless-sensor/);
    expect(d.stepSummary?.endsWith("health-check STUCK")).toBe(true);
  });

  it("finds a known error in a log without markers (older AMI or a script that died first)", () => {
    // Prepare / Act
    const d = diagnoseBoot(loadLog("no-markers"), ABANDONED);
    // Assess
    expect(d.cause).toBe("kms-access-denied");
    expect(d.failingStep).toBeUndefined();
    expect(d.evidence).toMatch(/Service: AWSKMS/);
  });

  it("does not blame errors that a later successful retry overcame", () => {
    // Prepare: the collector timed out once, then every step finished.
    const lines = [
      "SPANLESS-BOOT v=1 ts=2026-11-24T02:12:03.384Z step=collector-reachable status=start",
      "Error: connect ETIMEDOUT 198.51.100.24:443",
      'SPANLESS-BOOT v=1 ts=2026-11-24T02:12:13.390Z step=collector-reachable status=retry reason="attempt 1"',
      "SPANLESS-BOOT v=1 ts=2026-11-24T02:12:14.000Z step=collector-reachable status=ok",
      "SPANLESS-BOOT v=1 ts=2026-11-24T02:12:15.000Z step=health-check status=ok",
    ];
    // Act
    const d = diagnoseBoot(lines, HEARTBEAT);
    // Assess
    expect(d.cause).toBe("lifecycle-heartbeat-timeout");
    expect(d.failingStep).toBeUndefined();
    expect(d.stepSummary).toBe("collector-reachable ok · health-check ok");
  });

  it("falls back to Auto Scaling's status message when there is no log", () => {
    // Prepare / Act
    const capacity = diagnoseBoot(undefined, CAPACITY);
    const nothing = diagnoseBoot(undefined, undefined);
    // Assess
    expect(capacity.cause).toBe("ec2-capacity");
    expect(capacity.fixHint).toMatch(/instance types/);
    expect(nothing.cause).toBe("unknown");
    expect(nothing.fixHint).toMatch(/detach-instances/);
  });

  it("reports malformed markers as a boot-script problem and still diagnoses", () => {
    // Prepare
    const lines = [
      ...loadLog("parameter-missing"),
      "SPANLESS-BOOT v=1 ts=2026-11-24T02:16:41.300Z step=health",
    ];
    // Act
    const d = diagnoseBoot(lines);
    // Assess
    expect(d.cause).toBe("parameter-missing");
    expect(d.markerProblems).toEqual([expect.stringMatching(/^line 5: .*status "" is not one of/)]);
  });

  it("blames the proxy for a refused connection during proxy-check even if the text does not say proxy", () => {
    // Prepare
    const lines = [
      "SPANLESS-BOOT v=1 ts=2026-11-24T02:14:11.003Z step=proxy-check status=start",
      "Error: connect ECONNREFUSED 10.20.0.5:3128",
      'SPANLESS-BOOT v=1 ts=2026-11-24T02:14:11.220Z step=proxy-check status=fail reason="gave up"',
    ];
    // Act
    const d = diagnoseBoot(lines);
    // Assess
    expect(d).toMatchObject({ cause: "proxy-refused", failingStep: "proxy-check" });
    expect(d.evidence).toBe("Error: connect ECONNREFUSED 10.20.0.5:3128");
  });

  it("names an unknown failure by its step with the step's purpose", () => {
    // Prepare
    const lines = [
      'SPANLESS-BOOT v=1 ts=2026-11-24T02:16:41.000Z step=sensor-start status=fail reason="exit code 3"',
    ];
    // Act
    const d = diagnoseBoot(lines);
    // Assess
    expect(d).toMatchObject({ cause: "unknown", failingStep: "sensor-start", evidence: "exit code 3" });
    expect(d.fixHint).toMatch(/start the sensor service/);
    expect(d.fixHint).toMatch(/systemctl status spanless-sensor/);
  });
});

describe("classifyStatusMessage", () => {
  it.each([
    [HEARTBEAT, "lifecycle-heartbeat-timeout"],
    [ABANDONED, "lifecycle-abandoned"],
    [CAPACITY, "ec2-capacity"],
    ["Invalid IAM Instance Profile name. Launching EC2 instance failed.", "ec2-launch-rejected"],
  ])("%s → %s", (message, cause) => {
    // Prepare / Act / Assess
    expect(classifyStatusMessage(message)?.cause).toBe(cause);
  });
});
