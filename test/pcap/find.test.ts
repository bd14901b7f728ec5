import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connByUid, findPcaps } from "../../sensor-ami/src/pcap/find.js";
import { frameFlow } from "../../sensor-ami/src/pcap/flow.js";
import { PcapRing } from "../../sensor-ami/src/pcap/ring.js";
import { udpFrame } from "./support.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pcap-find-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The same frame with the ports swapped: the reply direction. */
function reply(frame: Buffer): Buffer {
  const b = Buffer.from(frame);
  b.set(frame.subarray(30, 34), 26);
  b.set(frame.subarray(26, 30), 30);
  b.writeUInt16BE(frame.readUInt16BE(36), 34);
  b.writeUInt16BE(frame.readUInt16BE(34), 36);
  return b;
}

function otherPorts(frame: Buffer): Buffer {
  const b = Buffer.from(frame);
  b.writeUInt16BE(3000, 34);
  return b;
}

describe("pcap find", () => {
  it("reads a frame's flow as conn.log prints it", () => {
    // Prepare / Act
    const flow = frameFlow(udpFrame(100), 0, 100);

    // Assess
    expect(flow).toEqual({ proto: "udp", src: "10.0.0.1", dst: "10.0.0.2", sport: 1000, dport: 2000 });
  });

  it("finds a uid in a rotated conn.log and names only the files that hold its packets in its time range", () => {
    // Prepare: worker 0 has the connection's reply at t=100, worker 1 only other traffic then;
    // worker 0's file at t=500 holds the same 5-tuple outside the connection's time
    const logs = join(dir, "logs");
    const pcap = join(dir, "pcap");
    mkdirSync(logs);
    const record = {
      ts: 100,
      uid: "Cabc",
      proto: "udp",
      "id.orig_h": "10.0.0.1",
      "id.orig_p": 1000,
      "id.resp_h": "10.0.0.2",
      "id.resp_p": 2000,
      duration: 1.5,
    };
    writeFileSync(join(logs, "conn.log"), `${JSON.stringify({ ...record, uid: "Cother", ts: 900 })}\n`);
    writeFileSync(
      join(logs, "conn.2026-01-01-00-00-00-2026-01-01-01-00-00.log.gz"),
      gzipSync(`${JSON.stringify(record)}\n`),
    );
    const w0 = new PcapRing({ dir: join(pcap, "w0"), worker: 0, maxBytes: 1 << 30 });
    const w1 = new PcapRing({ dir: join(pcap, "w1"), worker: 1, maxBytes: 1 << 30 });
    const f = udpFrame(200);
    w0.write(reply(f), 0, 200, 100.5, 200);
    w0.finish();
    w0.write(f, 0, 200, 500, 200);
    w0.finish();
    w1.write(otherPorts(f), 0, 200, 100.2, 200);
    w1.finish();

    // Act
    const q = connByUid(logs, "Cabc");
    const found = findPcaps(pcap, q);

    // Assess
    expect(q).toMatchObject({
      proto: "udp",
      origH: "10.0.0.1",
      respP: 2000,
      fromMicros: 100_000_000,
      toMicros: 101_500_000,
    });
    expect(found.map((x) => x.name)).toEqual(["100500000-100500000-w0.pcap"]);
  });

  it("says when a uid is not in conn.log", () => {
    // Prepare
    writeFileSync(join(dir, "conn.log"), "");

    // Act / Assess
    expect(() => connByUid(dir, "Cnope")).toThrow(/no conn\.log record with uid Cnope/);
  });
});
