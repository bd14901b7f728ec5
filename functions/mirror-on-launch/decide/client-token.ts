// Deterministic ClientToken for CreateTrafficMirrorSession: a retried or concurrent create of the same
// session (EventBridge redelivery, event handler racing the reconciler) returns the existing session
// instead of making a second one.
import { createHash } from "node:crypto";
import { CLIENT_TOKEN_LENGTH } from "../limits.js";
import type { CreateAction } from "../types.js";

/** The session's identity as CreateTrafficMirrorSession sees it, plus the instance's current start. */
export type ClientTokenParts = Pick<
  CreateAction,
  "eniId" | "targetId" | "filterId" | "sessionNumber" | "vni" | "packetLength"
> & {
  /**
   * The instance's current LaunchTime. EC2 remembers a token after the session is gone; without this
   * part, a stop/start (which deletes and later re-creates the session) could be answered with the
   * ID of the deleted session. LaunchTime changes on every start and is stable within one run.
   */
  launchTime?: string;
};

/** SHA-256 hex of the parts joined by `|`, cut to EC2's 64-character limit. */
export function clientToken(parts: ClientTokenParts): string {
  const material = [
    "spanless-v1",
    parts.eniId,
    parts.targetId,
    parts.filterId,
    String(parts.sessionNumber),
    String(parts.vni),
    parts.packetLength === undefined ? "" : String(parts.packetLength),
    parts.launchTime ?? "",
  ].join("|");
  return createHash("sha256").update(material).digest("hex").slice(0, CLIENT_TOKEN_LENGTH);
}
