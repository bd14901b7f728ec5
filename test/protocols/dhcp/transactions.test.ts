import { describe, expect, it } from "vitest";
import {
  createDhcpTransactions,
  type DhcpLogRecord,
  dhcp,
  parseDhcpMessage,
} from "../../../sensor-ami/src/protocols/dhcp/index.js";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import { loadDhcpFrames } from "./support.js";

const dhcpPcap = loadDhcpFrames("zeek/dhcp__dhcp.pcap");

function message(payload: Uint8Array) {
  const parsed = parseDhcpMessage(payload);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

describe("DHCP transaction store", () => {
  it("logs a transaction once it has been idle 5 s at a 10 s/5 s check, like Zeek's join_data timers", () => {
    // Prepare: the DISCOVER of dhcp.pcap replayed at chosen times.
    const records: DhcpLogRecord[] = [];
    const store = createDhcpTransactions({ log: (r) => records.push(r) });
    const discover = message(dhcpPcap[0].payload);
    // Act
    store.add(discover, 100, true, undefined);
    store.add(discover, 108, true, undefined); // before the first check (t=110): same transaction
    store.expire(110); // idle 2 s: kept, next look at 115
    store.expire(114);
    const openAt114 = store.size;
    store.expire(115); // idle 7 s: logged
    // Assess
    expect(openAt114).toBe(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ts: 100, msg_types: ["DISCOVER", "DISCOVER"], duration: 8 });
    expect(store.size).toBe(0);
  });

  it("stops watching a busy transaction after 30 s", () => {
    const records: DhcpLogRecord[] = [];
    const store = createDhcpTransactions({ log: (r) => records.push(r) });
    const discover = message(dhcpPcap[0].payload);
    for (let t = 0; t <= 40; t += 4) store.add(discover, t, true, undefined);
    store.flush();
    expect(records.map((r) => r.msg_types.length)).toEqual([9, 2]);
  });

  it("keeps memory bounded: beyond the open-transaction cap the oldest is logged early", () => {
    // Prepare: dhcp.pcap holds three transactions (xid 0x7c0, 0x79c, 0x7c4); allow two open at once.
    const records: DhcpLogRecord[] = [];
    const store = createDhcpTransactions({ log: (r) => records.push(r), maxOpenTransactions: 2 });
    let largest = 0;
    // Act
    for (const frame of dhcpPcap) {
      store.add(message(frame.payload), frame.ts, frame.sport === 68, undefined);
      largest = Math.max(largest, store.size);
    }
    store.flush();
    // Assess: never more than 2 open, the oldest (0x7c0) went first, nothing lost.
    expect(largest).toBe(2);
    expect(store.evicted).toBe(1);
    expect(records[0].msg_types).toEqual([
      "DISCOVER",
      "OFFER",
      "REQUEST",
      "NAK",
      "REQUEST",
      "ACK",
      "DECLINE",
    ]);
    expect(records.reduce((sum, r) => sum + r.msg_types.length, 0)).toBe(dhcpPcap.length);
  });

  it("without the engine's connection identity, falls back to BOOTP fields and omits uids", () => {
    // Prepare: the plain `dhcp` factory, one analyzer per connection as the engine would make them.
    const logs: LogRecord[] = [];
    const byConnection = new Map<string, ReturnType<NonNullable<typeof dhcp.create>>>();
    // Act
    for (const frame of dhcpPcap) {
      const key = [frame.src, frame.dst].sort().join(" ");
      let analyzer = byConnection.get(key);
      if (!analyzer) {
        analyzer = dhcp.create!({
          log: (_p, r) => logs.push(r),
          weird: () => {},
          confirm: () => {},
          violation: () => {},
        });
        byConnection.set(key, analyzer);
      }
      analyzer.packet(frame.src !== "128.2.6.152", frame.payload, frame.ts);
    }
    for (const analyzer of byConnection.values()) analyzer.end(dhcpPcap.at(-1)!.ts);
    // Assess: OFFER and ACK travel on their own connections here, so they log separately, with the
    // server taken from option 54 — the address Zeek reads from the IP header.
    const offer = logs.find((r) => (r.msg_types as string[]).join() === "OFFER")!;
    expect(offer).toMatchObject({ server_addr: "128.2.6.152", assigned_addr: "128.2.6.97", lease_time: 900 });
    expect(offer.uids).toBeUndefined();
    expect(logs.map((r) => (r.msg_types as string[]).join()).sort()).toEqual([
      "ACK",
      "DISCOVER,REQUEST,REQUEST,DECLINE",
      "INFORM",
      "NAK",
      "OFFER",
      "RELEASE",
    ]);
  });
});
