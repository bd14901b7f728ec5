// The causes `spanless bootstrap` names at its own steps (validate-config, read-user-data, write-config,
// sensor-start, health-check, lifecycle-complete). Every log is a boot log as the bootstrap writes it:
// its info line, start/ok markers for the steps before the failure, the failing marker, then the
// lifecycle decision, all made with contracts/boot's formatBootMarker. Reasons come from the
// bootstrap's own code where it is pure (the shared schema, the memory plan, the user-data parser, the
// systemctl and sensor-user wrappers with a fake command runner); the health-check and metadata
// wordings are copied from service.ts and imds.ts, and test/bootstrap/bootstrap.test.ts checks the
// real ones end to end.
import { describe, expect, it } from "vitest";
import {
  type BootStatus,
  CONFIG_REFUSED_REASON_PREFIX,
  formatBootMarker,
} from "../../../../contracts/boot/markers.js";
import {
  formatProblem,
  type SensorConfigInput,
  type SensorParameterNames,
  validateSensorConfig,
} from "../../../../contracts/config/index.js";
import {
  parseSensorUserData,
  renderSensorUserData,
  sensorMemoryPlan,
} from "../../../../contracts/host/index.js";
import { diagnoseBoot } from "../../../../functions/health/decide.js";
import { formatFailedLaunchMessage } from "../../../../functions/health/messages.js";
import type { FailedLaunch } from "../../../../functions/health/types.js";
import type { CommandRunner } from "../../../../sensor-ami/src/bootstrap/commands.js";
import { sensorUserOwner } from "../../../../sensor-ami/src/bootstrap/run.js";
import { startSensor } from "../../../../sensor-ami/src/bootstrap/service.js";
import { loadEvent } from "../support/fixtures.js";

const HEARTBEAT = String(loadEvent("launch-unsuccessful-heartbeat-timeout").detail.StatusMessage);
const INSTANCE = "i-0f3c9a1e5b7d24680";
const NAMES: SensorParameterNames = {
  "collector-url": "/spanless/prod/collector-url",
  "push-token": "/spanless/prod/push-token",
  proxy: "/spanless/prod/proxy",
  "os-sensor-hmac": "/spanless/prod/os-sensor-hmac",
};
/** Secret values put into the schema's input: they must never reach a diagnosis or a message. */
const TOKEN_SECRET = "Zx9fQ2kLmN4pR7sTvW3yB6dH";
const PROXY_PASSWORD = "Pr0xy-Pa55word-42";
const HMAC = "HmacKey0123456789abcdefXYZ";

/** The bootstrap's steps in the order it runs them (sensor-ami/src/bootstrap/README.md). */
const STEPS = [
  "logs-agent",
  "read-user-data",
  "fetch-config",
  "kms-decrypt",
  "validate-config",
  "proxy-check",
  "collector-reachable",
  "push-token-auth",
  "write-config",
  "sensor-start",
  "health-check",
] as const;
type Step = (typeof STEPS)[number] | "lifecycle-complete";

const OK_REASONS: Partial<Record<Step, [BootStatus, string]>> = {
  "logs-agent": ["ok", "shipping to log group /spanless/prod/sensors"],
  "read-user-data": ["ok", `${INSTANCE} in us-east-1b`],
  "proxy-check": ["skip", "proxy is none"],
  "collector-reachable": ["ok", "TLS to collector.example.net in 41 ms"],
};

/** A boot log as `spanless bootstrap` writes it, failing at `failing` with `reason`. */
function bootLog(failing: Step, reason: string): string[] {
  const ms = Date.parse("2026-11-24T02:05:31.000Z");
  let n = 0;
  const marker = (step: string, status: BootStatus, why?: string) => {
    n += 1;
    return formatBootMarker({
      step,
      status,
      ts: new Date(ms + 37 * n).toISOString(),
      ...(why === undefined ? {} : { reason: why }),
    });
  };
  const lines = [
    "spanless bootstrap: boot of a Spanless sensor: log group /spanless/prod/sensors, Auto Scaling group spanless-sensors, lifecycle hook spanless-prod-launch",
  ];
  for (const step of STEPS) {
    lines.push(marker(step, "start"));
    if (step === failing) {
      lines.push(marker(step, "fail", reason));
      break;
    }
    const [status, why] = OK_REASONS[step] ?? ["ok", undefined];
    lines.push(marker(step, status, why));
  }
  lines.push(marker("lifecycle-complete", "start"));
  if (failing === "lifecycle-complete") lines.push(marker("lifecycle-complete", "fail", reason));
  else lines.push(marker("lifecycle-complete", "ok", `ABANDON (step ${failing} failed)`));
  return lines;
}

/** What the bootstrap's `step()` writes for an error that is not its own BootStepError. */
function wrapped(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
  throw new Error("expected the bootstrap's code to throw");
}

/** A BootStepError's reason, as the bootstrap puts it in the marker. */
async function stepReason(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return (error as { reason: string }).reason;
  }
  throw new Error("expected the bootstrap's code to throw");
}

/** The shared schema's problems, joined as validate-config joins them. */
function schemaReason(values: Partial<Record<keyof SensorParameterNames, string>>): string {
  const input: SensorConfigInput = {};
  for (const [key, value] of Object.entries({
    "collector-url": "https://collector.example.net/",
    "push-token": `sensor-eu1:${TOKEN_SECRET}`,
    proxy: "none",
    "os-sensor-hmac": HMAC,
    ...values,
  })) {
    input[key as keyof SensorConfigInput] = {
      value,
      type: key === "collector-url" ? "String" : "SecureString",
      version: 3,
    };
  }
  const result = validateSensorConfig(input, NAMES);
  if (result.ok) throw new Error("expected the schema to refuse these values");
  return `${CONFIG_REFUSED_REASON_PREFIX}${result.problems.map(formatProblem).join("; ")}`;
}

/** A command runner answering each command line from a table (exit 0 with no output otherwise). */
function fakeRunner(answers: Record<string, { code: number; stderr?: string }>): CommandRunner {
  return async (command, args) => {
    const a = answers[[command, ...args].join(" ")] ?? { code: 0 };
    return { code: a.code, stdout: "", stderr: a.stderr ?? "" };
  };
}

describe("diagnoseBoot: causes named at the bootstrap's own steps", () => {
  it("an invalid parameter value at validate-config → config-invalid, the parameter and rule as evidence", () => {
    // Prepare
    const reason = schemaReason({ "collector-url": "http://collector.example.net/" });
    const lines = bootLog("validate-config", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({
      cause: "config-invalid",
      failingStep: "validate-config",
      title: "A configuration parameter fails the sensor configuration schema",
    });
    expect(d.evidence).toBe(
      'sensor configuration schema refused: /spanless/prod/collector-url: must use https:// but uses "http:"; sensors only send metadata over TLS, so change the scheme to https://',
    );
    expect(d.fixHint).toMatch(/aws ssm put-parameter --name <parameter>/);
    expect(d.fixHint).toMatch(/would have refused this value/);
    expect(d.fixHint).toMatch(/edited the launch template's pins/);
    expect(d.stepSummary).toBe(
      "logs-agent ok · read-user-data ok · fetch-config ok · kms-decrypt ok · validate-config FAIL · lifecycle-complete ok",
    );
  });

  it("a schema problem in words no rule knows yet is still config-invalid, by the bootstrap's prefix", () => {
    // Prepare: a future rule's wording (no "must", "is", "has" …)
    const lines = bootLog(
      "validate-config",
      `${CONFIG_REFUSED_REASON_PREFIX}/spanless/prod/collector-url: wants a port below 1024 for this network`,
    );

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d.cause).toBe("config-invalid");
    expect(d.evidence).toContain("/spanless/prod/collector-url: wants a port below 1024");
  });

  it("schema problems about the push token and proxy stay config-invalid, not the collector's or proxy's refusal, and never show a value", () => {
    // Prepare: "token … invalid" and "proxy … uses" are words the signature rules look for
    const reason = schemaReason({
      "push-token": `sensor eu1:${TOKEN_SECRET}`,
      proxy: `socks5://ops:${PROXY_PASSWORD}@proxy.internal:1080`,
    });
    const lines = bootLog("validate-config", reason);

    // Act
    const d = diagnoseBoot(lines, HEARTBEAT);

    // Assess
    expect(reason).toMatch(/push-token: has an invalid label/);
    expect(reason).toMatch(/proxy: uses another scheme|proxy: uses "socks5:"/);
    expect(d.cause).toBe("config-invalid");
    expect(JSON.stringify(d)).not.toContain(TOKEN_SECRET);
    expect(JSON.stringify(d)).not.toContain(PROXY_PASSWORD);
  });

  it.each([
    [
      "user data without a pin block",
      wrapped(() => parseSensorUserData("#!/bin/bash\necho hello\n")),
      /no complete pin block/,
    ],
    [
      "a hand-edited pin line",
      wrapped(() =>
        parseSensorUserData(
          renderSensorUserData(
            {
              "collector-url": { name: "/spanless/prod/collector-url", version: 4 },
              "push-token": { name: "/spanless/prod/push-token", version: 8 },
              proxy: null,
              "os-sensor-hmac": null,
            },
            {
              logGroup: "/spanless/prod/sensors",
              autoScalingGroup: "spanless-sensors",
              lifecycleHook: "launch",
            },
          ).replace("/spanless/prod/push-token:8", "/spanless/prod/push-token:latest"),
        ),
      ),
      /PinFormatError: .*not a pinned parameter reference/,
    ],
    [
      "no user data at all",
      "ImdsError: the instance has no user data (the launch template must carry the pin block and the bootstrap line)",
      /no user data/,
    ],
  ])("%s at read-user-data → user-data-invalid", (_what, reason, evidence) => {
    // Prepare
    const lines = bootLog("read-user-data", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({ cause: "user-data-invalid", failingStep: "read-user-data" });
    expect(d.evidence).toMatch(evidence);
    expect(d.fixHint).toMatch(/describe-launch-template-versions/);
    expect(d.fixHint).toMatch(/edited by hand/);
  });

  it("a metadata service that refuses connections at read-user-data → metadata-unavailable, not the collector", () => {
    // Prepare: imds.ts's wording after its retries; ECONNREFUSED alone reads as collector-unreachable
    const lines = bootLog(
      "read-user-data",
      "ImdsError: the instance metadata service at http://169.254.169.254 did not answer GET /latest/meta-data/instance-id after 5 attempts (GET /latest/meta-data/instance-id: ECONNREFUSED)",
    );

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({ cause: "metadata-unavailable", failingStep: "read-user-data" });
    expect(d.fixHint).toMatch(/HttpEndpoint enabled/);
  });

  it("too little memory at write-config → instance-too-small, with contracts/host's own message", () => {
    // Prepare: write-config reports MemoryPlanError's message as the reason
    const reason = wrapped(() => sensorMemoryPlan(768 * 1024 * 1024)).replace(/^MemoryPlanError: /, "");
    const lines = bootLog("write-config", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(reason).toMatch(/choose a larger instance type/);
    expect(d).toMatchObject({
      cause: "instance-too-small",
      failingStep: "write-config",
      evidence: reason,
    });
    expect(d.fixHint).toMatch(/sensors\.instanceType/);
  });

  it.each([
    ["a full root volume", "Error: ENOSPC: no space left on device, write", /ENOSPC: the root volume/],
    [
      "a read-only file system",
      "Error: EROFS: read-only file system, open '/etc/spanless/.sensor.json.2211.tmp'",
      /EROFS or EIO/,
    ],
  ])("%s at write-config → config-write-failed", (_what, reason, hint) => {
    // Prepare
    const lines = bootLog("write-config", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({ cause: "config-write-failed", failingStep: "write-config", evidence: reason });
    expect(d.fixHint).toMatch(hint);
  });

  it("a missing sensor user at write-config → config-write-failed (an image problem)", async () => {
    // Prepare: the bootstrap's own check, with `id` saying there is no such user
    const run = fakeRunner({ "id -u spanless": { code: 1, stderr: "id: 'spanless': no such user\n" } });
    const reason = await stepReason(() => sensorUserOwner(run, true)());
    const lines = bootLog("write-config", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(reason).toMatch(/sensor user spanless does not exist/);
    expect(d.cause).toBe("config-write-failed");
    expect(d.fixHint).toMatch(/intact Spanless sensor image/);
  });

  it("systemctl refusing to start the unit at sensor-start → sensor-start-failed", async () => {
    // Prepare: the bootstrap's startSensor with systemctl answering as on an image without the unit
    const run = fakeRunner({
      "systemctl is-active --quiet spanless-sensor.service": { code: 3 },
      "systemctl enable --now spanless-sensor.service": {
        code: 1,
        stderr: "Failed to enable unit: Unit file spanless-sensor.service does not exist.\n",
      },
    });
    const reason = await stepReason(() =>
      startSensor({ run, systemctl: "systemctl", service: "spanless-sensor.service" }, true),
    );
    const lines = bootLog("sensor-start", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({ cause: "sensor-start-failed", failingStep: "sensor-start" });
    expect(d.evidence).toMatch(/Unit file spanless-sensor\.service does not exist/);
    expect(d.fixHint).toMatch(/<instance-id>-sensor/);
    expect(d.fixHint).toMatch(/aws ssm start-session/);
  });

  it.each([
    {
      what: "a sensor that dies while starting",
      cause: "sensor-start-failed",
      reason:
        "the sensor service stopped while starting (systemctl is-active: not active); read journalctl -u spanless-sensor.service",
    },
    {
      what: "a /healthcheck that stays 503",
      cause: "sensor-unhealthy",
      reason:
        "/healthcheck answered 503 for 600 s (receiver: no receiving thread); run spanless health on the instance or read journalctl -u spanless-sensor.service",
    },
    {
      what: "a health port nothing answers on",
      cause: "sensor-unhealthy",
      reason:
        "the sensor's health port http://127.0.0.1:8080 did not answer within 600 s (not listening); read journalctl -u spanless-sensor.service",
    },
    {
      what: "a collector that never accepts the sensor's handshake (a 401 is not the boot's own token check)",
      cause: "sensor-not-accepted",
      reason:
        "/healthcheck is 200 but the collector has not accepted the sensor's push token handshake within 600 s (collector.example.net:443 answered 401 to the handshake: the push token is refused); read journalctl -u spanless-sensor.service for the sensor's ship: lines",
    },
  ])("$what at health-check → $cause", ({ reason, cause }) => {
    // Prepare
    const lines = bootLog("health-check", reason);

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({ cause, failingStep: "health-check", evidence: reason });
    expect(d.stepSummary).toMatch(/· sensor-start ok · health-check FAIL · lifecycle-complete ok$/);
    expect(d.fixHint).toMatch(/<instance-id>-sensor/);
    expect(d.fixHint).toMatch(/spanless health|journalctl -u spanless-sensor/);
  });

  it("a CompleteLifecycleAction refused after a good boot → lifecycle-complete-failed, over the heartbeat timeout", () => {
    // Prepare: run.ts's wording when the call fails after every step passed
    const lines = bootLog(
      "lifecycle-complete",
      `CompleteLifecycleAction CONTINUE for ${INSTANCE} failed: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/spanless-sensor/${INSTANCE} is not authorized to perform: autoscaling:CompleteLifecycleAction; the lifecycle hook's heartbeat timeout ends the launch`,
    );

    // Act
    const d = diagnoseBoot(lines, HEARTBEAT);

    // Assess
    expect(d).toMatchObject({ cause: "lifecycle-complete-failed", failingStep: "lifecycle-complete" });
    expect(d.stepSummary).toMatch(/health-check ok · lifecycle-complete FAIL$/);
    expect(d.fixHint).toMatch(/autoscaling:CompleteLifecycleAction/);
  });
});

describe("diagnoseBoot: the bootstrap's rules stay at their steps", () => {
  it("a reason the step's rules do not recognise still names the step, as before", () => {
    // Prepare: a bug's error at validate-config is no parameter problem
    const lines = bootLog(
      "validate-config",
      "TypeError: Cannot read properties of undefined (reading 'value')",
    );

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d).toMatchObject({
      cause: "unknown",
      title: "Boot step validate-config failed",
      failingStep: "validate-config",
    });
  });

  it("the same words at another step do not borrow the bootstrap's cause", () => {
    // Prepare: a metadata-service-like refusal while reaching the collector is the collector's
    const lines = bootLog(
      "collector-reachable",
      "TLS connection to the collector 198.51.100.24:443 failed: connect ECONNREFUSED 198.51.100.24:443 (instance metadata service reachable)",
    );

    // Act
    const d = diagnoseBoot(lines);

    // Assess
    expect(d.cause).toBe("collector-unreachable");
  });

  it("reads only a marker's reason as evidence, never its timestamp", () => {
    // Prepare: ".407Z" before "step=proxy-check" once read as a proxy's 407 in the lines above a stuck step
    const lines = [
      formatBootMarker({
        step: "proxy-check",
        status: "skip",
        ts: "2026-11-24T02:05:31.407Z",
        reason: "proxy is none",
      }),
      formatBootMarker({ step: "health-check", status: "start", ts: "2026-11-24T02:05:32.000Z" }),
    ];

    // Act
    const d = diagnoseBoot(lines, HEARTBEAT);

    // Assess
    expect(d).toMatchObject({ cause: "lifecycle-heartbeat-timeout", failingStep: "health-check" });
  });

  it("a health check the boot never finished keeps the heartbeat timeout as its cause", () => {
    // Prepare: cut off while polling, no fail marker
    const lines = bootLog("health-check", "unused").filter(
      (l) => !l.includes("status=fail") && !l.includes("step=lifecycle-complete"),
    );

    // Act
    const d = diagnoseBoot(lines, HEARTBEAT);

    // Assess
    expect(d).toMatchObject({ cause: "lifecycle-heartbeat-timeout", failingStep: "health-check" });
  });
});

describe("on-call message for the bootstrap's causes", () => {
  const FAILURE: FailedLaunch = {
    kind: "failed-launch",
    source: "launch-unsuccessful",
    autoScalingGroupName: "spanless-production-eu-central-sensors-with-a-long-name",
    instanceId: INSTANCE,
    availabilityZone: "ap-southeast-2c",
    eventTime: "2026-11-24T03:07:41Z",
    region: "ap-southeast-2",
    account: "123456789012",
  };

  it.each([
    { step: "validate-config", cause: "config-invalid", reason: schemaReason({ "os-sensor-hmac": "short" }) },
    { step: "read-user-data", cause: "user-data-invalid", reason: wrapped(() => parseSensorUserData("")) },
    {
      step: "read-user-data",
      cause: "metadata-unavailable",
      reason:
        "ImdsError: PUT /latest/api/token: HTTP 403 (IMDSv2 session token not issued); check that the launch template enables the metadata service (HttpEndpoint)",
    },
    {
      step: "write-config",
      cause: "instance-too-small",
      reason: wrapped(() => sensorMemoryPlan(512 * 1024 * 1024)),
    },
    {
      step: "write-config",
      cause: "config-write-failed",
      reason: "Error: EACCES: permission denied, mkdir '/var/lib/spanless/spool'",
    },
    {
      step: "sensor-start",
      cause: "sensor-start-failed",
      reason:
        "systemctl enable --now spanless-sensor.service exited with 1: Job failed; read journalctl -u spanless-sensor.service and systemctl status spanless-sensor.service",
    },
    {
      step: "health-check",
      cause: "sensor-unhealthy",
      reason:
        "/healthcheck answered 503 for 600 s (output: writes refused); run spanless health on the instance or read journalctl -u spanless-sensor.service",
    },
    {
      step: "health-check",
      cause: "sensor-not-accepted",
      reason:
        "/healthcheck is 200 but the collector has not accepted the sensor's push token handshake within 600 s; read journalctl -u spanless-sensor.service for the sensor's ship: lines",
    },
    {
      step: "lifecycle-complete",
      cause: "lifecycle-complete-failed",
      reason: `CompleteLifecycleAction CONTINUE for ${INSTANCE} failed: ValidationError: No such hook; the lifecycle hook's heartbeat timeout ends the launch`,
    },
  ] as const)(
    "$cause at $step: ASCII subject under 100 characters, cause attribute, cause and fix first",
    ({ step, reason, cause }) => {
      // Prepare
      const lines = bootLog(step, reason);
      const log = {
        status: "found" as const,
        logGroup: "/spanless/prod/sensors",
        logStream: `${INSTANCE}-userdata`,
        lines,
      };

      // Act
      const message = formatFailedLaunchMessage(FAILURE, log, diagnoseBoot(lines), 20);

      // Assess
      expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
      expect(message.subject.length).toBeLessThan(100);
      expect(message.subject).toContain(`${cause} at ${step}`);
      expect(message.attributes).toMatchObject({ kind: "launch-failure", cause, failingStep: step });
      expect(message.body.split("\n")[2]).toMatch(new RegExp(`^Cause: .*\\[${cause}\\]$`));
      expect(message.body).not.toContain(HMAC);
      expect(message.body).not.toContain(TOKEN_SECRET);
    },
  );
});
