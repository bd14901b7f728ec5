// What the engine does with a failed checksum of the current packet (`--checksums`): `on` drops
// every failure, as Zeek does; `auto` asks the sending host's record (checksum-hosts.ts), which
// keeps failures that look unfinished (decode/offload.ts) or come from a host that fails as a rule.

import { transportChecksumLooksOffloaded } from "../decode/offload.js";
import type { DecodedPacket } from "../decode/packet.js";
import type { ChecksumHosts } from "./checksum-hosts.js";

/**
 * A checksum of `p` failed (`shaped`: it looks unfinished): whether the packet is kept. `hosts` is
 * null unless the mode is auto.
 */
export function keepsChecksumFailure(
  hosts: ChecksumHosts | null,
  p: DecodedPacket,
  shaped: boolean,
  ts: number,
  packetIndex: number,
): boolean {
  return hosts?.fail(p, shaped, ts, packetIndex) === true;
}

/**
 * After a transport header was decoded with verification: a failure the policy keeps is cleared
 * (the packet counts as good), one it drops keeps badChecksum (the connection records a bad
 * checksum weird and the 'C' letter); a pass is a good sample for the sender in auto mode.
 */
export function applyChecksumPolicy(
  hosts: ChecksumHosts | null,
  p: DecodedPacket,
  proto: number,
  ts: number,
  packetIndex: number,
): void {
  if (p.badChecksum) {
    if (keepsChecksumFailure(hosts, p, transportChecksumLooksOffloaded(p, proto), ts, packetIndex))
      p.badChecksum = false;
  } else if (hosts !== null) {
    hosts.pass(p);
  }
}
