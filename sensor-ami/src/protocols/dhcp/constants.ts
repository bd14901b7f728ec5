// BOOTP/DHCP wire constants (RFC 2131/2132), parser limits and Zeek's dhcp.log parameters.

export const DHCP_PORTS = [67, 68] as const;
export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;

/** op, htype … file: the fixed BOOTP header (RFC 951), then the 4-byte magic cookie. */
export const BOOTP_FIXED_LENGTH = 236;
export const MAGIC_COOKIE = 0x63825363;
export const OPTIONS_OFFSET = BOOTP_FIXED_LENGTH + 4;
export const CHADDR_OFFSET = 28;
export const CHADDR_LENGTH = 16;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

export const OPTION = {
  PAD: 0,
  HOST_NAME: 12,
  DOMAIN_NAME: 15,
  REQUESTED_ADDRESS: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  CLIENT_ID: 61,
  CLIENT_FQDN: 81,
  END: 255,
} as const;

/** Client FQDN flag E (RFC 4702 §2.1): the name is in DNS wire format. */
export const FQDN_FLAG_ENCODED = 0x04;
export const HARDWARE_ETHERNET = 1;

/** Zeek's DHCP::max_uids_per_log_entry and DHCP::max_msg_types_per_log_entry defaults. */
export const DEFAULT_MAX_UIDS_PER_LOG = 10;
export const DEFAULT_MAX_MSG_TYPES_PER_LOG = 50;
/** Zeek's join_data timers: first look 10 s after creation, log once idle 5 s or watched 30 s. */
export const FIRST_CHECK_AFTER = 10;
export const RECHECK_EVERY = 5;
export const IDLE_BEFORE_LOG = 5;
export const MAX_TXID_WATCH_TIME = 30;
/** Open transactions kept per store before the oldest is logged early (bounded memory under floods). */
export const DEFAULT_MAX_OPEN_TRANSACTIONS = 10_000;

const MESSAGE_TYPE_NAMES: Record<number, string> = {
  1: "DISCOVER",
  2: "OFFER",
  3: "REQUEST",
  4: "DECLINE",
  5: "ACK",
  6: "NAK",
  7: "RELEASE",
  8: "INFORM",
  9: "FORCERENEW",
  10: "LEASEQUERY",
  11: "LEASEUNASSIGNED",
  12: "LEASEUNKNOWN",
  13: "LEASEACTIVE",
  14: "BULKLEASEQUERY",
  15: "LEASEQUERYDONE",
  16: "ACTIVELEASEQUERY",
  17: "LEASEQUERYSTATUS",
  18: "TLS",
};

export function messageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] ?? `unknown-message-type-${type}`;
}
