// What the listener check writes when several NLBs answer differently: a missing listener always counts, and
// no 0 is written while an NLB could not be described (that 0 would tell the alarm the listener is fine).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ListenerVerdict } from "../../../functions/mirror-on-launch/decide/listener.js";
import { createTelemetry, reportListenerChecks } from "../../../functions/mirror-on-launch/metrics.js";
import { flushMetrics } from "../../../functions/shared/telemetry.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";

const A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a/0123456789abcdef";
const B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/b/0123456789abcdef";
const ok: ListenerVerdict = { status: "ok", nlbArn: A, protocol: "UDP" };
const missing: ListenerVerdict = {
  status: "missing",
  nlbArn: A,
  problem: "no-listener",
  found: [],
  fix: "create it",
};
const failed: ListenerVerdict = {
  status: "describe-failed",
  nlbArn: B,
  errorCode: "Throttling",
  message: "Rate exceeded",
};

let telemetry: CapturedTelemetry;
beforeEach(() => {
  telemetry = captureTelemetry();
});
afterEach(() => telemetry.restore());

function report(verdicts: ListenerVerdict[]) {
  const t = createTelemetry({});
  reportListenerChecks(t, verdicts);
  flushMetrics(t.metrics);
}

describe("reportListenerChecks", () => {
  it.each([
    ["every NLB fine", [ok], 0],
    ["one missing", [missing], 1],
    ["one missing, one not described", [missing, failed], 1],
    ["one fine, one not described", [ok, failed], undefined],
    ["nothing checked", [], undefined],
  ] as const)("%s: MirrorListenerMissing = %s", (_what, verdicts, expected) => {
    // Prepare
    const input = [...verdicts];

    // Act
    report(input);

    // Assess
    expect(telemetry.metric("MirrorListenerMissing")).toBe(expected);
    const notChecked = input.filter((v) => v.status === "describe-failed").length;
    expect(telemetry.metric("InvocationErrors", ["ErrorCode", "ListenerCheckError"])).toBe(
      notChecked || undefined,
    );
  });
});
