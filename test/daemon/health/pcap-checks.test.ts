// The `pcap` health line, from hand-built snapshots: absent ring, a healthy ring, refused writes,
// failing uploads, and the same run's minute-old snapshot as the base of "now failing".
import { describe, expect, it } from "vitest";
import {
  assessHealth,
  CHECK_NAMES,
  healthcheckVerdict,
} from "../../../sensor-ami/src/daemon/health/checks.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { STARTED, snap } from "./snapshots.js";

const GiB = 1024 ** 3;

type Pcap = NonNullable<DaemonSnapshot["pcap"]>;

function pcap(over: Partial<Pcap> = {}, upload?: Partial<NonNullable<Pcap["upload"]>>): Pcap {
  return {
    dir: "/var/lib/spanless/pcap",
    maxBytes: 20 * GiB,
    packets: 1_000_000,
    droppedPackets: 0,
    writeErrors: 0,
    lastError: null,
    diskBytes: 5.5 * GiB,
    closedFiles: 88,
    deletedFiles: 0,
    ...(upload === undefined
      ? {}
      : {
          upload: {
            uploaded: 80,
            uploadedBytes: 5 * GiB,
            failed: 0,
            missed: 0,
            pending: 1,
            lastError: null,
            ...upload,
          },
        }),
    ...over,
  };
}

/** The pcap line for `now`, with `before` as the same run's snapshot 50 s earlier. */
function line(now: Pcap | undefined, before?: Pcap) {
  const s = snap({ pcap: now });
  const history = before === undefined ? [] : [snap({ at: s.at - 50, pcap: before })];
  const report = assessHealth(s, history);
  const c = report.checks.find((x) => x.name === "pcap");
  if (!c) throw new Error("no pcap check");
  return { c, report };
}

describe("the pcap health check", () => {
  it("comes after spool_backlog, and says so plainly when no ring is configured", () => {
    expect(CHECK_NAMES.indexOf("pcap")).toBe(CHECK_NAMES.indexOf("spool_backlog") + 1);
    const { c } = line(undefined);
    expect(c).toMatchObject({ status: "OK", value: "not configured" });
  });

  it("OK with the files and the disk used against the bound", () => {
    const { c } = line(pcap({}, {}), pcap({ closedFiles: 87 }, { uploaded: 79 }));
    expect(c).toEqual({ name: "pcap", status: "OK", value: "88 files, 5.50 GB of 20.00 GB", reason: "" });
  });

  it("WARNING while writes are refused, with the error and what to do; never a 503", () => {
    // Prepare
    const failing = pcap({
      writeErrors: 3,
      droppedPackets: 5000,
      lastError: "cannot write /x/w0/1-1.pcap: ENOSPC",
    });

    // Act
    const { c, report } = line(failing, pcap({ writeErrors: 2, droppedPackets: 4000 }));

    // Assess
    expect(c.status).toBe("WARNING");
    expect(c.reason).toMatch(/refused \(cannot write \/x\/w0\/1-1\.pcap: ENOSPC\)/);
    expect(c.reason).toMatch(/free disk space or lower pcapMaxGB/i);
    expect(healthcheckVerdict(report).code).toBe(200);
  });

  it("OK again once no write was refused in the last minute; an earlier run's errors are not this run's", () => {
    const old = pcap({ writeErrors: 3, droppedPackets: 5000, lastError: "ENOSPC" });
    expect(line(old, old).c.status).toBe("OK");
    // Without a base of the same run, errors since start count.
    expect(line(old).c.status).toBe("WARNING");
    const s = snap({ pcap: old });
    const otherRun = snap({ at: s.at - 50, startedAt: STARTED - 1000, pcap: pcap({ writeErrors: 9 }) });
    expect(assessHealth(s, [otherRun]).checks.find((x) => x.name === "pcap")?.status).toBe("WARNING");
  });

  it("WARNING when S3 uploads were given up in the last minute, with the last error", () => {
    const err = "s3://ring/pcap/x.pcap: Access Denied";
    const { c } = line(pcap({}, { failed: 2, lastError: err }), pcap({}, { failed: 1 }));
    expect(c.status).toBe("WARNING");
    expect(c.reason).toMatch(/1 file\(s\) could not be uploaded to S3 in the last minute/);
    expect(c.reason).toContain(`last error: ${err}`);
  });

  it("WARNING when uploads wait without one succeeding for a minute; OK while they go through", () => {
    const err = "connect ETIMEDOUT";
    const stuck = line(pcap({}, { pending: 4, lastError: err }), pcap({}, { pending: 2 }));
    expect(stuck.c.status).toBe("WARNING");
    expect(stuck.c.reason).toMatch(/have not succeeded for a minute \(4 file\(s\) waiting\).*ETIMEDOUT/);
    // One transient error, but uploads went on: OK.
    const moving = line(pcap({}, { uploaded: 81, lastError: err }), pcap({}, {}));
    expect(moving.c.status).toBe("OK");
  });
});
