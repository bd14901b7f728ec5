import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DhcpLogRecord } from "../../../sensor-ami/src/protocols/dhcp/index.js";
import { FIXTURES, loadDhcpFrames, readZeekLog, runWithSharedStore } from "./support.js";

// Zeek btest baselines, copied unchanged into fixtures/ (as *.log.txt: the repository ignores
// *.log): dhcp-all-msg-types (dhcp.pcap, with its conn.log), inform (dhcp_inform.pcap),
// dhcp-prevent-large-uids (dhcp_flood.pcap with max_uids_per_log_entry=5) and
// dhcp-prevent-large-msgtypes (max_uids=500, max_msg_types=8). ts is masked in the baselines;
// every other column is compared.
const COLUMNS = [
  "uids",
  "client_addr",
  "server_addr",
  "mac",
  "host_name",
  "client_fqdn",
  "domain",
  "requested_addr",
  "assigned_addr",
  "lease_time",
  "client_message",
  "server_message",
  "msg_types",
  "duration",
] as const;

function zeekAscii(record: DhcpLogRecord, column: (typeof COLUMNS)[number], uidsAsCount: boolean): string {
  const value = record[column];
  if (value === undefined) return "-";
  if (column === "uids")
    return uidsAsCount ? String(record.uids!.length) : [...record.uids!].sort().join(",");
  if (column === "lease_time" || column === "duration") return (value as number).toFixed(6);
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function ours(records: DhcpLogRecord[], uidsAsCount = false): string[] {
  return records.map((r) => COLUMNS.map((c) => zeekAscii(r, c, uidsAsCount)).join("\t")).sort();
}

function zeek(file: string, uidsAsCount = false): string[] {
  return readZeekLog(file)
    .map((row) =>
      COLUMNS.map((c) =>
        c === "uids"
          ? uidsAsCount
            ? String(row.uids.split(",").length)
            : row.uids.split(",").sort().join(",")
          : row[c],
      ).join("\t"),
    )
    .sort();
}

describe("dhcp.log against Zeek baselines, field by field", () => {
  it("dhcp.pcap: one transaction over four connections, then a RELEASE and an INFORM", () => {
    // Prepare: the baseline's conn.log names each connection, so uids can be compared literally.
    const conns = readZeekLog("zeek_dhcp__dhcp.pcap.zeek-conn.log.txt");
    const uidOf = (id: { orig_h: string; orig_p: number; resp_h: string; resp_p: number }) =>
      conns.find(
        (c) =>
          c["id.orig_h"] === id.orig_h &&
          Number(c["id.orig_p"]) === id.orig_p &&
          c["id.resp_h"] === id.resp_h &&
          Number(c["id.resp_p"]) === id.resp_p,
      )?.uid;
    // Act
    const run = runWithSharedStore(loadDhcpFrames("zeek/dhcp__dhcp.pcap"), {}, uidOf);
    // Assess
    expect(ours(run.records)).toEqual(zeek("zeek_dhcp__dhcp.pcap.zeek-dhcp.log.txt"));
    expect(run.violations).toEqual([]);
  });

  it("dhcp_inform.pcap: INFORM/ACK keeps the client address and no server address", () => {
    const run = runWithSharedStore(loadDhcpFrames("zeek/dhcp__dhcp_inform.pcap"));
    // No conn.log in this baseline: the one uid (both messages ride one flipped connection) is counted.
    expect(ours(run.records, true)).toEqual(zeek("zeek_dhcp__dhcp_inform.pcap.zeek-dhcp.log.txt", true));
  });

  it.each([
    [{ maxUidsPerLog: 5 }, "zeek_dhcp__dhcp_flood.pcap.max-uids-5.zeek-dhcp.log.txt"],
    [
      { maxUidsPerLog: 500, maxMsgTypesPerLog: 8 },
      "zeek_dhcp__dhcp_flood.pcap.max-msgtypes-8.zeek-dhcp.log.txt",
    ],
  ])(
    "dhcp_flood.pcap with %o splits transactions like Zeek (uids compared by count)",
    (options, baseline) => {
      const run = runWithSharedStore(loadDhcpFrames("zeek/dhcp__dhcp_flood.pcap"), options);
      expect(ours(run.records, true)).toEqual(zeek(baseline, true));
    },
  );
});

describe("dhcp.log against Arkime's session document (arkime/wireshark-dhcp.pcap)", () => {
  it("finds the same transaction ids, client MAC, requested addresses and message types", () => {
    // Prepare: Arkime's expected session (copied unchanged into fixtures/).
    const expected = JSON.parse(
      readFileSync(join(FIXTURES, "arkime_wireshark-dhcp.pcap.arkime.test.json"), "utf8"),
    ).sessions3[0].body.dhcp;
    // Act
    const frames = loadDhcpFrames("arkime/wireshark-dhcp.pcap");
    const run = runWithSharedStore(frames);
    // Assess: Arkime keeps xids as hex and message types as a sorted set.
    const xids = frames
      .map((f) => f.oracle.xid.replace(/^0x0*/, ""))
      .filter((x, i, all) => all.indexOf(x) === i);
    expect(xids).toEqual(expected.id);
    expect(run.records).toHaveLength(expected.idCnt);
    expect([...new Set(run.records.map((r) => r.mac))]).toEqual(expected.mac);
    expect(run.records.map((r) => r.requested_addr)).toEqual(expected.requestIp);
    expect([...new Set(run.records.flatMap((r) => r.msg_types))].sort()).toEqual(expected.type);
  });
});
