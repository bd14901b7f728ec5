// Link-layer header types (tcpdump.org/linktypes.html) the decoder understands.
export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte address family in host byte order
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101; // raw IPv4/IPv6, version from the first nibble
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: 4-byte address family in network byte order
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/**
 * Not a pcap link type (those are 16-bit): a live source's UDP payload that starts with a VXLAN
 * header, as AWS Traffic Mirroring sends it. The outer IP/UDP headers were consumed by the socket.
 */
export const LINKTYPE_VXLAN_DATAGRAM = 0x1_12b5;
/** The VXLAN header (RFC 7348): flags, reserved, 24-bit VNI, reserved. */
export const VXLAN_HEADER_BYTES = 8;
/** The I flag: the VNI is valid (the only flag AWS sets). */
export const VXLAN_FLAG_VNI_VALID = 0x08;
// Some writers still use the BSD-specific value 12/14 for raw IP.
export const LINKTYPE_RAW_BSD_12 = 12;
export const LINKTYPE_RAW_BSD_14 = 14;

const NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: "BSD loopback (NULL)",
  [LINKTYPE_ETHERNET]: "Ethernet",
  [LINKTYPE_RAW]: "raw IP",
  [LINKTYPE_LOOP]: "OpenBSD loopback",
  [LINKTYPE_LINUX_SLL]: "Linux cooked v1",
  [LINKTYPE_IPV4]: "raw IPv4",
  [LINKTYPE_IPV6]: "raw IPv6",
  [LINKTYPE_LINUX_SLL2]: "Linux cooked v2",
  [LINKTYPE_RAW_BSD_12]: "raw IP (BSD 12)",
  [LINKTYPE_RAW_BSD_14]: "raw IP (BSD 14)",
};

export function isSupportedLinkType(linkType: number): boolean {
  return linkType in NAMES;
}

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `link type ${linkType}`;
}

export const SUPPORTED_LINK_TYPES_TEXT = Object.entries(NAMES)
  .map(([k, v]) => `${k} (${v})`)
  .join(", ");
