// Operations: the functions, their EventBridge rules, DLQs and schedule, the on-call topic, alarms and the
// dashboard. Owned by the operations module; this stub only keeps the stack compiling until it lands.
import type { StackContext, StackOutputs } from "../context.js";

export function operations(_ctx: StackContext): StackOutputs {
  return {};
}
