// The mirror listener check, pure. A Traffic Mirror target of type NLB delivers only while its load balancer
// has a UDP listener on 4789 (VXLAN); without one "Traffic Mirroring fails without an error indication"
// (aws-facts §4.5): every session stays as it is and the traffic is dropped. Which NLBs to look at, and what
// their listeners say, are decided here; the adapter (adapters/elbv2-listeners.ts) only fetches them.
import type { TargetInfo, TargetPolicy } from "../types.js";

/** VXLAN's port: Traffic Mirroring always sends to 4789 (aws-facts §4.3). */
export const MIRROR_LISTENER_PORT = 4789;
/** Listener protocols that accept the mirrored UDP datagrams (TCP_UDP takes UDP and TCP on one port). */
export const MIRROR_LISTENER_PROTOCOLS: readonly string[] = ["UDP", "TCP_UDP"];

export interface ListenerInfo {
  listenerArn?: string;
  protocol?: string;
  port?: number;
}

/** What is wrong with an NLB as a mirror destination. */
export type ListenerProblem =
  /** No listener takes UDP on 4789, and none is near (no UDP listener on another port, nothing on 4789). */
  | "no-listener"
  /** A UDP (or TCP_UDP) listener exists, on another port. */
  | "wrong-port"
  /** Something listens on 4789, but not for UDP (e.g. TCP or TLS). */
  | "wrong-protocol"
  /** The load balancer itself is gone (ELBv2 LoadBalancerNotFound). */
  | "load-balancer-not-found";

export type ListenerVerdict =
  | { status: "ok"; nlbArn: string; listenerArn?: string; protocol: string }
  | { status: "missing"; nlbArn: string; problem: ListenerProblem; found: string[]; fix: string }
  | { status: "describe-failed"; nlbArn: string; errorCode: string; message: string };

/** What the adapter learnt about one NLB: its listeners, that it does not exist, or that asking failed. */
export type ListenerLookup =
  | { kind: "listeners"; listeners: ListenerInfo[] }
  | { kind: "not-found" }
  | { kind: "failed"; errorCode: string; message: string };

const describeListener = (l: ListenerInfo) => `${l.protocol ?? "?"}:${l.port ?? "?"}`;

function fixFor(nlbArn: string, problem: ListenerProblem): string {
  // A stack deploy alone does not notice a listener deleted behind its back (its state still has it):
  // `sst refresh` first, then `sst deploy` recreates or restores it.
  const redeploy =
    "or, when the stack owns it, `sst refresh --stage <stage>` then `sst deploy --stage <stage>`";
  switch (problem) {
    case "load-balancer-not-found":
      return "the mirror target points at a load balancer that no longer exists: `sst refresh --stage <stage>` then `sst deploy --stage <stage>` recreates the NLB, its listener and the mirror target";
    case "wrong-port":
      return `move the UDP listener back to port ${MIRROR_LISTENER_PORT} (aws elbv2 modify-listener --listener-arn <arn> --port ${MIRROR_LISTENER_PORT}), ${redeploy}`;
    case "wrong-protocol":
      return `the listener on ${MIRROR_LISTENER_PORT} must be UDP (or TCP_UDP): aws elbv2 modify-listener --listener-arn <arn> --protocol UDP, ${redeploy}`;
    default:
      return (
        `create it: aws elbv2 create-listener --load-balancer-arn ${nlbArn} --protocol UDP --port ${MIRROR_LISTENER_PORT} ` +
        `--default-actions Type=forward,TargetGroupArn=<the sensors' target group>, ${redeploy}`
      );
  }
}

/** Judges one NLB's listeners: healthy when one takes UDP on 4789. */
export function judgeListeners(nlbArn: string, lookup: ListenerLookup): ListenerVerdict {
  if (lookup.kind === "failed") {
    return { status: "describe-failed", nlbArn, errorCode: lookup.errorCode, message: lookup.message };
  }
  if (lookup.kind === "not-found") {
    const problem = "load-balancer-not-found" as const;
    return { status: "missing", nlbArn, problem, found: [], fix: fixFor(nlbArn, problem) };
  }
  const udp = (l: ListenerInfo) => MIRROR_LISTENER_PROTOCOLS.includes((l.protocol ?? "").toUpperCase());
  const good = lookup.listeners.find((l) => udp(l) && l.port === MIRROR_LISTENER_PORT);
  if (good) {
    return {
      status: "ok",
      nlbArn,
      listenerArn: good.listenerArn,
      protocol: (good.protocol ?? "").toUpperCase(),
    };
  }
  const problem: ListenerProblem = lookup.listeners.some((l) => l.port === MIRROR_LISTENER_PORT)
    ? "wrong-protocol"
    : lookup.listeners.some(udp)
      ? "wrong-port"
      : "no-listener";
  return {
    status: "missing",
    nlbArn,
    problem,
    found: lookup.listeners.map(describeListener).sort(),
    fix: fixFor(nlbArn, problem),
  };
}

/** The policy's target IDs (one, or one per AZ), without repeats. */
export function policyTargetIds(target: TargetPolicy): string[] {
  return target.mode === "single" ? [target.targetId] : [...new Set(Object.values(target.targetsByAz))];
}

/**
 * The NLBs to check: the configured one (SENSOR_NLB_ARN) when set, else the load balancer behind each of
 * the policy's targets that is an NLB target. ENI and Gateway Load Balancer endpoint targets have no
 * listener to lose; a target that does not exist is the planner's `target-missing` skip, not this check's.
 */
export function nlbsToCheck(
  target: TargetPolicy,
  targets: readonly TargetInfo[],
  configuredNlbArn?: string,
): string[] {
  if (configuredNlbArn) return [configuredNlbArn];
  const wanted = new Set(policyTargetIds(target));
  const arns = targets.filter((t) => wanted.has(t.targetId) && t.nlbArn).map((t) => t.nlbArn as string);
  return [...new Set(arns)].sort();
}
