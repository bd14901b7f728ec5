// The shipping lines of the health report: collector_connectivity, last_upload, spool_backlog.
// Uploads are at-least-once from a disk spool, so a collector outage is a WARNING while the spool
// holds everything, and an ERROR only when data is being lost (the spool dropped batches, the
// collector refuses them) or the outage has lasted long enough to need a person.

import type { DaemonSnapshot } from "../snapshot.js";
import type { HealthCheck } from "./checks.js";

/** An outage this long is on-call's problem even while the spool still holds everything. */
export const UPLOAD_STALL_ERROR_SECONDS = 30 * 60;
/** A backlog this old is worth a look. */
export const UPLOAD_STALL_WARNING_SECONDS = 5 * 60;
/** A spool this full is close to dropping. */
export const SPOOL_WARNING_RATIO = 0.5;

type Shipping = NonNullable<DaemonSnapshot["shipping"]>;

/** The three lines, judged from the latest snapshot and the oldest of the last minute. */
export function shippingChecks(now: DaemonSnapshot, minuteAgo: DaemonSnapshot | undefined): HealthCheck[] {
  const s = now.shipping;
  if (s === undefined) return [];
  const before = minuteAgo?.startedAt === now.startedAt ? minuteAgo.shipping : undefined;
  return [connectivity(s), lastUpload(now, s), spool(s, before)];
}

function connectivity(s: Shipping): HealthCheck {
  const name = "collector_connectivity";
  if (s.collectorConnectivity === "ok") return { name, status: "OK", value: "reachable", reason: "" };
  if (s.collectorConnectivity === "unknown" && typeof s.lastHandshakeAt === "number")
    return { name, status: "OK", value: "reachable (push token accepted, nothing uploaded yet)", reason: "" };
  if (s.collectorConnectivity === "unknown" && typeof s.handshakeError === "string")
    return {
      name,
      status: "WARNING",
      value: "handshake failing",
      reason:
        `The collector has not accepted this sensor's push token yet (${s.handshakeError}); it is tried again ` +
        "with backoff: check the push token, the collector URL, its certificate (collectorCaFile) and the proxy.",
    };
  if (s.collectorConnectivity === "unknown")
    return {
      name,
      status: "OK",
      value: "no upload attempted yet",
      reason: "Nothing has been ready to send yet.",
    };
  return {
    name,
    status: "WARNING",
    value: "failing",
    reason:
      `Uploads fail (${s.lastError ?? "no detail"}); batches wait in the spool and are resent: check the ` +
      "collector URL, its certificate (collectorCaFile), the proxy and that the NAT allows outbound HTTPS.",
  };
}

function lastUpload(now: DaemonSnapshot, s: Shipping): HealthCheck {
  const name = "last_upload";
  const age = s.lastUploadAt === null ? now.at - now.startedAt : now.at - s.lastUploadAt;
  const value = s.lastUploadAt === null ? "none yet" : `${Math.round(age)} s ago`;
  if (s.spoolBacklogBatches === 0 || age < UPLOAD_STALL_WARNING_SECONDS)
    return { name, status: "OK", value, reason: "" };
  const status = age >= UPLOAD_STALL_ERROR_SECONDS ? "ERROR" : "WARNING";
  return {
    name,
    status,
    value,
    reason:
      `${s.spoolBacklogBatches} batch(es) have waited since the last successful upload ${Math.round(age / 60)} min ago; ` +
      "nothing is lost while the spool has room, but the collector must be reached: see collector_connectivity.",
  };
}

function spool(s: Shipping, before: Shipping | undefined): HealthCheck {
  const name = "spool_backlog";
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const value = `${s.spoolBacklogBatches} batch(es), ${mb(s.spoolBacklogBytes)} of ${mb(s.spoolMaxBytes)}`;
  const droppedNow = s.dropped - (before?.dropped ?? 0);
  const rejectedNow = s.rejected - (before?.rejected ?? 0);
  if (droppedNow > 0)
    return {
      name,
      status: "ERROR",
      value,
      reason: `The spool is full: ${droppedNow} batch(es) (the oldest) were dropped in the last minute. Restore the collector, or raise spoolMaxMB.`,
    };
  if (rejectedNow > 0)
    return {
      name,
      status: "ERROR",
      value,
      reason: `The collector refused ${rejectedNow} batch(es) for good in the last minute (kept in the spool's rejected/): check the push token's label and secret, and the clocks.`,
    };
  if (s.spoolMaxBytes > 0 && s.spoolBacklogBytes / s.spoolMaxBytes > SPOOL_WARNING_RATIO)
    return {
      name,
      status: "WARNING",
      value,
      reason:
        "The spool is more than half full: at this rate the oldest batches will be dropped; see collector_connectivity.",
    };
  return {
    name,
    status: "OK",
    value,
    reason: s.corrupt > 0 ? `${s.corrupt} torn spool file(s) were set aside at start.` : "",
  };
}
