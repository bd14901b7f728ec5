import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseProcNetUdp,
  parseSnmp6Udp,
  parseSnmpUdp,
  readKernelDrops,
} from "../../../sensor-ami/src/capture/udp/kernel-drops.js";

const SNMP = `Ip: Forwarding DefaultTTL InReceives InHdrErrors
Ip: 1 64 123 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 9876543 12 4321 500 4300 0 21 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 7 0 0 0 0
`;

const SNMP6 = `Ip6InReceives                   \t5
Udp6InDatagrams                 \t100
Udp6NoPorts                     \t0
Udp6InErrors                    \t9
Udp6RcvbufErrors                \t8
UdpLite6RcvbufErrors            \t99
`;

// Port 4789 = 0x12B5: two SO_REUSEPORT sockets on it, one on 53 (0x0035).
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  123: 00000000:12B5 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 41234 2 0000000000000000 17      
  124: 00000000:12B5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41235 2 0000000000000000 3       
  200: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1111 2 0000000000000000 0       
`;

const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   50: 00000000000000000000000000000000:12B5 00000000000000000000000000000000:0000 07 00000000:00000100 00:00000000 00000000     0        0 5555 2 0000000000000000 5
`;

describe("kernel drop counters", () => {
  it("reads Udp RcvbufErrors and InErrors from /proc/net/snmp, not UdpLite's", () => {
    expect(parseSnmpUdp(SNMP)).toEqual({ inDatagrams: 9876543, rcvbufErrors: 4300, inErrors: 4321 });
    expect(parseSnmpUdp("Ip: a b\nIp: 1 2\n")).toBeUndefined();
  });

  it("reads Udp6 counters from /proc/net/snmp6, not UdpLite6's", () => {
    expect(parseSnmp6Udp(SNMP6)).toEqual({ inDatagrams: 100, rcvbufErrors: 8, inErrors: 9 });
  });

  it("sums drops and queued bytes of every socket on the port in /proc/net/udp and udp6", () => {
    expect(parseProcNetUdp(UDP, 4789)).toEqual({ sockets: 2, drops: 20, rxQueueBytes: 0xa00 });
    expect(parseProcNetUdp(UDP, 53)).toEqual({ sockets: 1, drops: 0, rxQueueBytes: 0 });
    expect(parseProcNetUdp(UDP, 9999)).toEqual({ sockets: 0, drops: 0, rxQueueBytes: 0 });
    expect(parseProcNetUdp(UDP6, 4789)).toEqual({ sockets: 1, drops: 5, rxQueueBytes: 0x100 });
  });

  it("reads them together from a /proc/net directory, and from the real one", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-procnet-"));
    writeFileSync(join(dir, "snmp"), SNMP);
    writeFileSync(join(dir, "snmp6"), SNMP6);
    writeFileSync(join(dir, "udp"), UDP);
    writeFileSync(join(dir, "udp6"), UDP6);

    // Act
    const sample = readKernelDrops(4789, dir);
    const real = readKernelDrops(4789);
    const none = readKernelDrops(4789, join(dir, "missing"));

    // Assess
    expect(sample).toEqual({
      system: { inDatagrams: 9876643, rcvbufErrors: 4308, inErrors: 4330 },
      port: { sockets: 3, drops: 25, rxQueueBytes: 0xb00 },
    });
    expect(real.system?.inDatagrams).toBeGreaterThanOrEqual(0);
    expect(none).toEqual({ system: undefined, port: undefined });
  });
});
