// Recognises the three kinds of EventBridge events this function is subscribed to. Anything else is reported as
// "unknown" (logged and ignored) rather than thrown, so a mis-wired rule cannot make the function fail-loop.
import { z } from "zod";

const PARAMETER_OPERATIONS = ["Create", "Update", "Delete", "LabelParameterVersion"] as const;
export type ParameterOperation = (typeof PARAMETER_OPERATIONS)[number];

/** Instance refresh event detail-types (Amazon EC2 Auto Scaling event reference), minus the common prefix. */
const REFRESH_EVENT_PREFIX = "EC2 Auto Scaling Instance Refresh ";
export const REFRESH_PHASES = [
  "Started",
  "Checkpoint Reached",
  "Started Baking",
  "Succeeded",
  "Failed",
  "Cancelled",
  "Rollback Started",
  "Rollback Succeeded",
  "Rollback Failed",
] as const;
export type RefreshPhase = (typeof REFRESH_PHASES)[number];

export type ClassifiedEvent =
  | { kind: "parameter-change"; name: string; operation: ParameterOperation; time: string }
  | { kind: "tick"; time: string }
  | { kind: "refresh-outcome"; phase: RefreshPhase; refreshId: string; asgName: string; time: string }
  | { kind: "unknown"; why: string };

const envelope = z.object({
  source: z.string(),
  "detail-type": z.string(),
  time: z.string().default(""),
  detail: z.unknown().optional(),
  resources: z.array(z.string()).default([]),
});

const parameterDetail = z.object({
  operation: z.enum(PARAMETER_OPERATIONS),
  name: z.string().min(1),
});

const refreshDetail = z.object({
  InstanceRefreshId: z.string().min(1),
  AutoScalingGroupName: z.string().min(1),
});

export function classifyEvent(event: unknown): ClassifiedEvent {
  const env = envelope.safeParse(event);
  if (!env.success) return { kind: "unknown", why: "not an EventBridge event (no source/detail-type)" };
  const { source, time, detail } = env.data;
  const detailType = env.data["detail-type"];

  if (source === "aws.ssm" && detailType === "Parameter Store Change") {
    const d = parameterDetail.safeParse(detail);
    if (!d.success)
      return { kind: "unknown", why: `Parameter Store Change with unexpected detail: ${d.error.message}` };
    return { kind: "parameter-change", name: d.data.name, operation: d.data.operation, time };
  }
  // EventBridge rules with a schedule send "Scheduled Event" from aws.events; EventBridge Scheduler can be told
  // to send the same shape, so both schedule mechanisms work.
  if (detailType === "Scheduled Event" && (source === "aws.events" || source === "aws.scheduler")) {
    return { kind: "tick", time };
  }
  if (source === "aws.autoscaling" && detailType.startsWith(REFRESH_EVENT_PREFIX)) {
    const phase = detailType.slice(REFRESH_EVENT_PREFIX.length) as RefreshPhase;
    if (!REFRESH_PHASES.includes(phase))
      return { kind: "unknown", why: `unrecognised refresh event "${detailType}"` };
    const d = refreshDetail.safeParse(detail);
    if (!d.success)
      return { kind: "unknown", why: `instance refresh event with unexpected detail: ${d.error.message}` };
    return {
      kind: "refresh-outcome",
      phase,
      refreshId: d.data.InstanceRefreshId,
      asgName: d.data.AutoScalingGroupName,
      time,
    };
  }
  return { kind: "unknown", why: `unhandled event ${source} / ${detailType}` };
}
