// The mirror listener check's decisions: an NLB mirror target delivers only while its load balancer has a
// UDP (or TCP_UDP) listener on 4789; anything else is named precisely, with the fix.
import { describe, expect, it } from "vitest";
import {
  judgeListeners,
  type ListenerInfo,
  nlbsToCheck,
  policyTargetIds,
} from "../../../../functions/mirror-on-launch/decide/listener.js";

const NLB =
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/spanless-dev-sensors/0123456789abcdef";
const listeners = (...l: ListenerInfo[]) => ({ kind: "listeners" as const, listeners: l });

describe("judgeListeners", () => {
  it("passes an NLB with a UDP listener on 4789, among others", () => {
    // Prepare
    const lookup = listeners(
      { listenerArn: "l-tcp", protocol: "TCP", port: 443 },
      { listenerArn: "l-vxlan", protocol: "UDP", port: 4789 },
    );

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toEqual({ status: "ok", nlbArn: NLB, listenerArn: "l-vxlan", protocol: "UDP" });
  });

  it("passes a TCP_UDP listener on 4789 (it takes UDP too)", () => {
    // Prepare
    const lookup = listeners({ listenerArn: "l-both", protocol: "TCP_UDP", port: 4789 });

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({ status: "ok", protocol: "TCP_UDP" });
  });

  it("reports no listener when the NLB has none", () => {
    // Prepare
    const lookup = listeners();

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({ status: "missing", nlbArn: NLB, problem: "no-listener", found: [] });
    expect(verdict.status === "missing" && verdict.fix).toMatch(
      new RegExp(`create-listener --load-balancer-arn ${NLB} --protocol UDP --port 4789`),
    );
  });

  it("reports no listener when only unrelated listeners remain (TCP on another port)", () => {
    // Prepare
    const lookup = listeners({ protocol: "TCP", port: 443 });

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({ status: "missing", problem: "no-listener", found: ["TCP:443"] });
  });

  it("reports the wrong port when the UDP listener moved off 4789", () => {
    // Prepare
    const lookup = listeners({ protocol: "UDP", port: 4790 });

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({ status: "missing", problem: "wrong-port", found: ["UDP:4790"] });
    expect(verdict.status === "missing" && verdict.fix).toMatch(/--port 4789/);
  });

  it("reports the wrong protocol when 4789 is TCP (or TLS)", () => {
    // Prepare
    const lookup = listeners({ protocol: "TCP", port: 4789 }, { protocol: "UDP", port: 53 });

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({
      status: "missing",
      problem: "wrong-protocol",
      found: ["TCP:4789", "UDP:53"],
    });
    expect(verdict.status === "missing" && verdict.fix).toMatch(/--protocol UDP/);
  });

  it("reports a load balancer that no longer exists as missing, with the redeploy fix", () => {
    // Prepare
    const lookup = { kind: "not-found" as const };

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toMatchObject({ status: "missing", problem: "load-balancer-not-found" });
    expect(verdict.status === "missing" && verdict.fix).toMatch(/sst deploy/);
  });

  it("keeps a failed describe apart: not missing, not ok", () => {
    // Prepare
    const lookup = { kind: "failed" as const, errorCode: "AccessDenied", message: "not authorized" };

    // Act
    const verdict = judgeListeners(NLB, lookup);

    // Assess
    expect(verdict).toEqual({
      status: "describe-failed",
      nlbArn: NLB,
      errorCode: "AccessDenied",
      message: "not authorized",
    });
  });
});

describe("nlbsToCheck", () => {
  const OTHER = NLB.replace("0123456789abcdef", "fedcba9876543210");
  const targets = [
    { targetId: "tmt-0aaaaaaaaaaaaaaa1", nlbArn: NLB },
    { targetId: "tmt-0bbbbbbbbbbbbbbb2", nlbArn: NLB },
    { targetId: "tmt-0ccccccccccccccc3", eniId: "eni-0123456789abcdef0" },
    { targetId: "tmt-0ddddddddddddddd4", nlbArn: OTHER },
  ];

  it("derives the NLB from the policy's target, once per load balancer", () => {
    // Prepare
    const target = {
      mode: "per-az" as const,
      targetsByAz: { "us-east-1a": "tmt-0aaaaaaaaaaaaaaa1", "us-east-1b": "tmt-0bbbbbbbbbbbbbbb2" },
    };

    // Act
    const nlbs = nlbsToCheck(target, targets);

    // Assess
    expect(nlbs).toEqual([NLB]);
    expect(policyTargetIds(target)).toEqual(["tmt-0aaaaaaaaaaaaaaa1", "tmt-0bbbbbbbbbbbbbbb2"]);
  });

  it("checks nothing for an ENI target, a missing target, or targets the policy does not use", () => {
    // Prepare
    const eni = { mode: "single" as const, targetId: "tmt-0ccccccccccccccc3" };
    const gone = { mode: "single" as const, targetId: "tmt-0000000000000dead" };

    // Act
    const checked = [nlbsToCheck(eni, targets), nlbsToCheck(gone, targets)];

    // Assess
    expect(checked).toEqual([[], []]);
  });

  it("takes SENSOR_NLB_ARN over the target's load balancer when it is set", () => {
    // Prepare
    const target = { mode: "single" as const, targetId: "tmt-0ddddddddddddddd4" };

    // Act
    const nlbs = nlbsToCheck(target, targets, NLB);

    // Assess
    expect(nlbs).toEqual([NLB]);
  });
});
