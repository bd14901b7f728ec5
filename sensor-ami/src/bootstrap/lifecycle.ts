// Step lifecycle-complete: tells Auto Scaling the launch's outcome (CompleteLifecycleAction CONTINUE or
// ABANDON). The API has no reason field: the failing step's marker, just before, is the reason. An
// instance that Auto Scaling did not launch (or whose lifecycle action is over, e.g. after a reboot)
// has no action to complete: that is a skip, not a failure.

import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";

/** Attempts at the call (throttling, a network blip at boot). */
export const LIFECYCLE_ATTEMPTS = 4;
export const LIFECYCLE_RETRY_DELAY_MS = 2_000;

export type LifecycleResult = "CONTINUE" | "ABANDON";

export interface LifecycleTarget {
  autoScalingGroup: string;
  lifecycleHook: string;
  instanceId: string;
}

export type LifecycleOutcome =
  | { kind: "completed" }
  /** No active lifecycle action for this instance: not launched by the group's hook, or already completed. */
  | { kind: "no-action"; detail: string }
  | { kind: "failed"; detail: string };

/** Auto Scaling's words for "there is no lifecycle action waiting for this instance". */
const NO_ACTION =
  /No active Lifecycle Action|not in a (?:Pending|Terminating):Wait state|LifecycleHook .* not found/i;

export async function completeLifecycle(
  client: AutoScalingClient | (() => Promise<AutoScalingClient>),
  target: LifecycleTarget,
  result: LifecycleResult,
  options: { attempts?: number; retryDelayMs?: number } = {},
): Promise<LifecycleOutcome> {
  const { CompleteLifecycleActionCommand } = await import("@aws-sdk/client-auto-scaling");
  const attempts = options.attempts ?? LIFECYCLE_ATTEMPTS;
  let detail = "";
  let asg: AutoScalingClient;
  try {
    asg = typeof client === "function" ? await client() : client;
  } catch (error) {
    return { kind: "failed", detail: `no Auto Scaling client: ${(error as Error).message}` };
  }
  for (let i = 0; i < attempts; i++) {
    if (i > 0)
      await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? LIFECYCLE_RETRY_DELAY_MS) * i));
    try {
      await asg.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: target.autoScalingGroup,
          LifecycleHookName: target.lifecycleHook,
          InstanceId: target.instanceId,
          LifecycleActionResult: result,
        }),
      );
      return { kind: "completed" };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      detail = `${e.name ?? "Error"}: ${(e.message ?? String(error)).replace(/\s+/g, " ").slice(0, 300)}`;
      if (NO_ACTION.test(e.message ?? "")) return { kind: "no-action", detail };
      // Permissions and bad names will not change by asking again.
      if (/AccessDenied|not authorized|ValidationError/i.test(`${e.name} ${e.message}`)) break;
    }
  }
  return { kind: "failed", detail };
}
