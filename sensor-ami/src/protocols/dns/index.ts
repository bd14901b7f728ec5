// DNS analyzers (UDP incl. mDNS/LLMNR/NBNS, and TCP) producing Zeek's dns.log.

import type { DatagramAnalyzerFactory, StreamAnalyzerFactory } from "../types.js";
import { DnsDatagramAnalyzer, DnsStreamAnalyzer } from "./analyzer.js";
import { DNS_HEADER_LENGTH, DNS_PORTS } from "./constants.js";
import { probeDnsMessage, probeDnsOverTcp } from "./probe.js";

export { DnsDatagramAnalyzer, DnsStreamAnalyzer, DnsTcpFramer } from "./analyzer.js";
export { type DnsParseResult, parseDnsMessage } from "./parser.js";
export { probeDnsMessage, probeDnsOverTcp } from "./probe.js";
export { DnsSessions } from "./session.js";
export type * from "./types.js";

/**
 * Zeek flips a connection's roles when its first DNS message from the originator is a response
 * (unless the responder address is multicast): the engine may call this on the first payload.
 */
export function dnsFirstPayloadIsResponse(bytes: Uint8Array): boolean {
  return bytes.length >= DNS_HEADER_LENGTH && (bytes[2] & 0x80) !== 0;
}

export const dnsUdp: DatagramAnalyzerFactory = {
  service: "dns",
  transport: "udp",
  ports: DNS_PORTS,
  probe: (bytes) => probeDnsMessage(bytes),
  create: (ctx) => new DnsDatagramAnalyzer(ctx),
};

export const dnsTcp: StreamAnalyzerFactory = {
  service: "dns",
  transport: "tcp",
  ports: [53],
  probe: (bytes) => probeDnsOverTcp(bytes),
  create: (ctx) => new DnsStreamAnalyzer(ctx),
};
