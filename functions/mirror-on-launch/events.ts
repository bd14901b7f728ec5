// Turns an EventBridge event into what the handler should do. Events carry little: the state-change
// notification has only the instance ID and state; CloudTrail events have the API call's request.
// Everything else is looked up. Anything unrecognised is reported, never thrown.
import { z } from "zod";
import { describeIssues as issueList } from "../shared/env.js";
import { InvalidEventError } from "./errors.js";

export type Trigger =
  | { kind: "instance"; instanceIds: string[]; why: string }
  | { kind: "reconcile"; why: string }
  | { kind: "ignore"; why: string };

const STATE_CHANGE_DETAIL_TYPE = "EC2 Instance State-change Notification";
const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

const envelope = z.object({
  "detail-type": z.string(),
  source: z.string(),
  detail: z.unknown(),
});

const stateChangeDetail = z.object({
  "instance-id": z.string().regex(INSTANCE_ID, "is not an EC2 instance ID"),
  state: z.enum(["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]),
});

const cloudTrailDetail = z.object({
  eventSource: z.literal("ec2.amazonaws.com"),
  eventName: z.string(),
  errorCode: z.string().optional(),
  userIdentity: z
    .object({
      arn: z.string().optional(),
      sessionContext: z
        .object({ sessionIssuer: z.object({ arn: z.string().optional() }).optional() })
        .optional(),
    })
    .optional(),
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
});

const attachRequest = z.object({ instanceId: z.string().regex(INSTANCE_ID) });
const tagsRequest = z.object({
  resourcesSet: z.object({ items: z.array(z.object({ resourceId: z.string() })) }),
});

const describeIssues = (error: z.ZodError): string => issueList(error, "event").join("; ");

/** Parses the event; throws InvalidEventError (caught by the handler) when it cannot be understood. */
export function classifyEvent(event: unknown, selfRoleArn?: string): Trigger {
  const env = envelope.safeParse(event);
  if (!env.success) throw new InvalidEventError(`not an EventBridge event: ${describeIssues(env.error)}`);
  const detailType = env.data["detail-type"];

  if (detailType === STATE_CHANGE_DETAIL_TYPE) {
    const detail = stateChangeDetail.safeParse(env.data.detail);
    if (!detail.success) {
      throw new InvalidEventError(`bad ${STATE_CHANGE_DETAIL_TYPE} detail: ${describeIssues(detail.error)}`);
    }
    const { "instance-id": instanceId, state } = detail.data;
    // pending is always followed by running; the transitional states add nothing the final ones don't.
    if (state === "pending" || state === "stopping" || state === "shutting-down") {
      return { kind: "ignore", why: `state ${state} is transitional` };
    }
    return { kind: "instance", instanceIds: [instanceId], why: `instance ${state}` };
  }

  if (detailType === CLOUDTRAIL_DETAIL_TYPE) {
    const detail = cloudTrailDetail.safeParse(env.data.detail);
    if (!detail.success) {
      throw new InvalidEventError(`bad CloudTrail detail: ${describeIssues(detail.error)}`);
    }
    const d = detail.data;
    if (d.errorCode) return { kind: "ignore", why: `${d.eventName} failed with ${d.errorCode}` };
    const issuer = d.userIdentity?.sessionContext?.sessionIssuer?.arn;
    if (selfRoleArn && issuer === selfRoleArn)
      return { kind: "ignore", why: `${d.eventName} made by Spanless itself` };
    const params = d.requestParameters ?? {};
    switch (d.eventName) {
      case "AttachNetworkInterface": {
        const req = attachRequest.safeParse(params);
        if (!req.success)
          throw new InvalidEventError(`bad AttachNetworkInterface request: ${describeIssues(req.error)}`);
        return { kind: "instance", instanceIds: [req.data.instanceId], why: "network interface attached" };
      }
      case "CreateTags":
      case "DeleteTags": {
        const req = tagsRequest.safeParse(params);
        if (!req.success)
          throw new InvalidEventError(`bad ${d.eventName} request: ${describeIssues(req.error)}`);
        const ids = req.data.resourcesSet.items.map((i) => i.resourceId).filter((id) => INSTANCE_ID.test(id));
        if (ids.length === 0) return { kind: "ignore", why: `${d.eventName} touched no instance` };
        return { kind: "instance", instanceIds: [...new Set(ids)], why: `tags changed (${d.eventName})` };
      }
      case "DeleteTrafficMirrorSession":
        // The request names only the deleted session, which can no longer be described: re-plan everything.
        return { kind: "reconcile", why: "a traffic mirror session was deleted by someone else" };
      default:
        return { kind: "ignore", why: `CloudTrail ${d.eventName} is not a mirror trigger` };
    }
  }

  return { kind: "ignore", why: `detail-type "${detailType}" is not handled` };
}
