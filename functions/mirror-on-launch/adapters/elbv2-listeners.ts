// The listeners of the sensors' NLB (ELBv2 DescribeListeners), for the mirror listener check in
// decide/listener.ts. Never throws: a load balancer that is gone and a describe that failed (AccessDenied,
// throttling beyond the SDK's retries) are answers the decision judges, so the reconcile goes on either way.
import {
  DescribeListenersCommand,
  type DescribeListenersCommandOutput,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsErrorCode } from "../../shared/errors.js";
import type { ListenerInfo, ListenerLookup } from "../decide/listener.js";

/** DescribeListeners' largest page (ELBv2 API reference: PageSize 1–400). */
const LISTENER_PAGE_SIZE = 400;

/** ELBv2's answer for an ARN that names no load balancer. */
const NOT_FOUND_CODES = new Set(["LoadBalancerNotFound", "LoadBalancerNotFoundException"]);

export async function lookUpListeners(
  elbv2: ElasticLoadBalancingV2Client,
  nlbArn: string,
): Promise<ListenerLookup> {
  const listeners: ListenerInfo[] = [];
  let marker: string | undefined;
  try {
    do {
      const page: DescribeListenersCommandOutput = await elbv2.send(
        new DescribeListenersCommand({
          LoadBalancerArn: nlbArn,
          PageSize: LISTENER_PAGE_SIZE,
          Marker: marker,
        }),
      );
      for (const l of page.Listeners ?? []) {
        listeners.push({ listenerArn: l.ListenerArn, protocol: l.Protocol, port: l.Port });
      }
      marker = page.NextMarker;
    } while (marker);
  } catch (error) {
    const errorCode = awsErrorCode(error);
    if (NOT_FOUND_CODES.has(errorCode)) return { kind: "not-found" };
    return { kind: "failed", errorCode, message: error instanceof Error ? error.message : String(error) };
  }
  return { kind: "listeners", listeners };
}
