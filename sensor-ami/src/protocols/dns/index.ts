// DNS analyzers (UDP incl. mDNS/LLMNR/NBNS, and TCP) producing Zeek's dns.log.
//
// Engine integration: register `dnsUdp` and `dnsTcp`; records go through ctx.log("dns") and get
// uid/id.* from the engine. Zeek flips a connection whose first DNS payload from the originator
// is a response (unless the responder is multicast): the UDP analyzer asks its host to, through
// ctx.flipRoles() (`dnsFirstPayloadIsResponse` is the test).
// Strings (query, answers) are byte strings, one char per byte as Zeek keeps them: log writers
// escape what is not printable ASCII (Zeek writes \xNN).
//
// Where this differs from Zeek (base scripts, current master), on purpose:
// - a malformed name or record stops the message (Zeek reads on from a misaligned position);
//   an over-long name is cut at 512 bytes but walked to its end so the message still parses;
// - records are realigned on RDLENGTH after a DNS_RR_length_mismatch;
// - authority/additional sections are walked (Zeek skips them by default) only to check framing
//   and EDNS options; their records never reach dns.log, as in Zeek;
// - HTTPS/SVCB answers are logged in presentation form ("HTTPS 1 . alpn=h2,h3"); Zeek's base
//   scripts log nothing for them;
// - NetBIOS Name Service is recognised by its encoded question name (or stickily per connection),
//   not by port 137;
// - dynamic-update (opcode 5) sections are not rendered as Zeek's "pre:/add:/del:" lines.

import type { DatagramAnalyzerFactory, StreamAnalyzerFactory } from "../types.js";
import { DnsDatagramAnalyzer, DnsStreamAnalyzer } from "./analyzer.js";
import { DNS_PORTS } from "./constants.js";
import { probeDnsMessage, probeDnsOverTcp } from "./probe.js";

export { DnsTcpFramer, dnsFirstPayloadIsResponse } from "./analyzer.js";
export { parseDnsMessage } from "./parser.js";
export { probeDnsMessage, probeDnsOverTcp } from "./probe.js";
export { DNS_SCHEMA } from "./schema.js";
export type * from "./types.js";

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
