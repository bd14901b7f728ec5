// Decoder weird reasons. Names follow Zeek's weird.log where Zeek has one, so analysts can
// search both tools' output with the same terms. Decoders return -code; the engine counts by code
// without allocating.

export const WEIRD_NAMES = [
  "", // 0 unused
  "truncated_link_header", // 1
  "truncated_IP", // 2
  "truncated_IPv6", // 3  (Zeek: truncated_IPv6 header)
  "bad_IP_checksum", // 4
  "unknown_IP_version", // 5
  "bad_IP_header_len", // 6
  "truncated_header", // 7  transport header cut off (Zeek's name)
  "bad_TCP_header_len", // 8
  "bad_TCP_checksum", // 9
  "bad_UDP_checksum", // 10
  "truncated_vxlan", // 11
  "vxlan_reserved_bits", // 12
  "truncated_geneve", // 13
  "truncated_GRE", // 14
  "unknown_gre_version", // 15
  "unknown_gre_protocol", // 16
  "exceeded_tunnel_max_depth", // 17
  "truncated_mpls", // 18
  "truncated_pppoe", // 19
  "unknown_link_type", // 20
  "fragment_overlap", // 21
  "fragment_inconsistency", // 22
  "excessively_large_fragment", // 23
  "fragment_table_full", // 24
  "fragment_timeout", // 25
  "truncated_IPv6_extension_header", // 26
  "ip_hdr_len_zero", // 27
  "internally_truncated_header", // 28
  "bad_ICMP_checksum", // 29
  "too_many_vlan_tags", // 30
  "truncated_erspan", // 31
  "UDP_datagram_length_mismatch", // 32
  "truncated_udp_payload", // 33
  "bad_UDP_length", // 34
  "connection_table_full", // 35
  "unknown_ipv6_routing_or_mobility", // 36
  "IPv6_fragment_too_small", // 37
  // Capture record headers (engine/frame-sanity.ts); Zeek has no names for these.
  "implausible_frame_length", // 38  orig_len below caplen or above 256 KiB: caplen used
  "backwards_timestamp", // 39  earlier than an earlier packet's: kept, the clock stays
  "implausible_timestamp", // 40  not a number, negative or over a day ahead: the clock's time used
] as const;

export const W = {
  truncatedLink: 1,
  truncatedIp: 2,
  truncatedIp6: 3,
  badIpChecksum: 4,
  unknownIpVersion: 5,
  badIpHeaderLen: 6,
  truncatedHeader: 7,
  badTcpHeaderLen: 8,
  badTcpChecksum: 9,
  badUdpChecksum: 10,
  truncatedVxlan: 11,
  vxlanReservedBits: 12,
  truncatedGeneve: 13,
  truncatedGre: 14,
  unknownGreVersion: 15,
  unknownGreProtocol: 16,
  tunnelMaxDepth: 17,
  truncatedMpls: 18,
  truncatedPppoe: 19,
  unknownLinkType: 20,
  fragmentOverlap: 21,
  fragmentInconsistency: 22,
  fragmentTooLarge: 23,
  fragmentTableFull: 24,
  fragmentTimeout: 25,
  truncatedIp6Ext: 26,
  ipHdrLenZero: 27,
  internallyTruncated: 28,
  badIcmpChecksum: 29,
  tooManyVlans: 30,
  truncatedErspan: 31,
  udpLengthMismatch: 32,
  truncatedUdpPayload: 33,
  badUdpLength: 34,
  connTableFull: 35,
  unknownIp6Routing: 36,
  ip6FragmentTooSmall: 37,
  implausibleFrameLength: 38,
  backwardsTimestamp: 39,
  implausibleTimestamp: 40,
} as const;
