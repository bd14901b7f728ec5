// The `pcap` line of the health report: the PCAP ring's disk and its S3 upload. Never an ERROR
// and never a 503: the ring is a record kept beside the analysis, which goes on without it.

import type { DaemonSnapshot } from "../snapshot.js";
import type { HealthCheck } from "./checks.js";

const GIB = 1024 ** 3;

/** The line, judged from the latest snapshot and the oldest of the same run in the last minute. */
export function pcapCheck(now: DaemonSnapshot, minuteAgo: DaemonSnapshot | undefined): HealthCheck {
  const name = "pcap";
  const p = now.pcap;
  if (p === undefined)
    return { name, status: "OK", value: "not configured", reason: "No PCAP ring: pcapMaxGB is not set." };
  const before = minuteAgo?.startedAt === now.startedAt ? minuteAgo.pcap : undefined;
  const gb = (b: number) => (b / GIB).toFixed(2);
  const value = `${p.closedFiles} files, ${gb(p.diskBytes)} GB of ${gb(p.maxBytes)} GB`;
  const refused = grown(p.writeErrors, before?.writeErrors) + grown(p.droppedPackets, before?.droppedPackets);
  if (refused > 0)
    return {
      name,
      status: "WARNING",
      value,
      reason:
        `Writes to ${p.dir} are refused (${p.lastError ?? "no detail"}): packets are analysed but not recorded ` +
        "while writing pauses. Free disk space or lower pcapMaxGB.",
    };
  const up = p.upload;
  if (up !== undefined) {
    const b = before?.upload;
    const failedNow = grown(up.failed, b?.failed);
    // Retrying without success for a minute: no file has been given up yet, but none goes through.
    const stuck = b !== undefined && up.pending > 0 && up.uploaded === b.uploaded && up.lastError !== null;
    if (failedNow > 0 || stuck)
      return {
        name,
        status: "WARNING",
        value,
        reason:
          (failedNow > 0
            ? `${failedNow} file(s) could not be uploaded to S3 in the last minute`
            : `Uploads to S3 have not succeeded for a minute (${up.pending} file(s) waiting)`) +
          ` (last error: ${up.lastError ?? "none recorded"}); the files stay on disk until the ring deletes them: ` +
          "check the instance role's s3:PutObject on the bucket and the route to S3.",
      };
  }
  return { name, status: "OK", value, reason: "" };
}

/** Growth of a running total since `before` (the total without it; from zero when it went backwards). */
function grown(now: number, before: number | undefined): number {
  if (before === undefined || now < before) return now;
  return now - before;
}
