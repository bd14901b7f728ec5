// BOOTP/DHCP message parser (RFC 2131/2132), in place over the datagram. Never throws.

import { HEX_OCTETS, hex, latin1 } from "../../text/bytes.js";
import { formatIPv4 } from "../../text/ip.js";
import {
  BOOTP_FIXED_LENGTH,
  BOOTREPLY,
  BOOTREQUEST,
  CHADDR_LENGTH,
  CHADDR_OFFSET,
  FQDN_FLAG_ENCODED,
  HARDWARE_ETHERNET,
  MAGIC_COOKIE,
  OPTION,
  OPTIONS_OFFSET,
} from "./constants.js";
import type { DhcpMessage, DhcpOptions, DhcpParseResult, DhcpWeird } from "./types.js";

const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
const OVERLOAD_FILE = 1;
const OVERLOAD_SNAME = 2;

function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0
  );
}

/**
 * Zeek's fmt_mac: 6 bytes as aa:bb:cc:dd:ee:ff, or 8 bytes (EUI-64) when bytes 7–8 are not zero;
 * "" when fewer than 6 bytes (or 7) are given.
 */
function formatMac(bytes: Uint8Array, offset: number, length: number): string {
  if (length < 8 && length !== 6) return "";
  const count = length === 6 || (bytes[offset + 6] === 0 && bytes[offset + 7] === 0) ? 6 : 8;
  let text = HEX_OCTETS[bytes[offset]];
  for (let index = 1; index < count; index++) text += `:${HEX_OCTETS[bytes[offset + index]]}`;
  return text;
}

/** A DNS wire-format name (RFC 4702 encoded FQDN option), uncompressed; null if malformed. */
function wireName(bytes: Uint8Array, start: number, end: number): string | null {
  const labels: string[] = [];
  let offset = start;
  while (offset < end) {
    const length = bytes[offset++];
    if (length === 0) return labels.join(".");
    if (length > 63 || length > end - offset) return null;
    labels.push(latin1(bytes, offset, offset + length));
    offset += length;
  }
  return labels.join(".");
}

/** Whether a fixed-size option has its size; a weird when not. */
function expectLength(code: number, length: number, wanted: number, weirds: DhcpWeird[]): boolean {
  if (length === wanted) return true;
  weirds.push({
    name: "DHCP_option_bad_length",
    addl: `option ${code}: ${length} bytes, expected ${wanted}`,
  });
  return false;
}

function parseOption(
  bytes: Uint8Array,
  code: number,
  start: number,
  length: number,
  options: DhcpOptions,
  weirds: DhcpWeird[],
): void {
  const end = start + length;
  switch (code) {
    case OPTION.MESSAGE_TYPE:
      if (expectLength(code, length, 1, weirds)) options.messageType = bytes[start];
      break;
    case OPTION.HOST_NAME:
      options.hostName = latin1(bytes, start, end);
      break;
    case OPTION.DOMAIN_NAME:
      options.domainName = latin1(bytes, start, end);
      break;
    case OPTION.REQUESTED_ADDRESS:
      if (expectLength(code, length, 4, weirds)) options.requestedAddr = formatIPv4(bytes, start);
      break;
    case OPTION.LEASE_TIME:
      if (expectLength(code, length, 4, weirds)) options.leaseTime = u32(bytes, start);
      break;
    case OPTION.SERVER_ID:
      if (expectLength(code, length, 4, weirds)) options.serverId = formatIPv4(bytes, start);
      break;
    case OPTION.MESSAGE:
      options.message = latin1(bytes, start, end);
      break;
    case OPTION.PARAMETER_LIST:
      options.parameterList = [];
      for (let offset = start; offset < end; offset++) options.parameterList.push(bytes[offset]);
      break;
    case OPTION.CLIENT_ID:
      if (length < 2) {
        weirds.push({ name: "DHCP_option_bad_length", addl: `option ${code}: ${length} bytes` });
        break;
      }
      options.clientId = {
        hwtype: bytes[start],
        hwaddr:
          bytes[start] === HARDWARE_ETHERNET
            ? formatMac(bytes, start + 1, length - 1)
            : hex(bytes, start + 1, end),
      };
      break;
    case OPTION.CLIENT_FQDN: {
      if (length < 3) {
        weirds.push({ name: "DHCP_option_bad_length", addl: `option ${code}: ${length} bytes` });
        break;
      }
      const encoded = (bytes[start] & FQDN_FLAG_ENCODED) !== 0;
      const name = encoded ? wireName(bytes, start + 3, end) : latin1(bytes, start + 3, end);
      if (name === null) weirds.push({ name: "DHCP_client_fqdn_malformed" });
      else options.clientFqdn = name;
      break;
    }
    default:
      break;
  }
}

/** Walks one options area; returns the Option Overload value (52) if one was seen. */
function parseOptionsArea(
  bytes: Uint8Array,
  start: number,
  end: number,
  options: DhcpOptions,
  weirds: DhcpWeird[],
): number {
  let overload = 0;
  let offset = start;
  while (offset < end) {
    const code = bytes[offset];
    if (code === OPTION.PAD) {
      offset++;
      continue;
    }
    if (code === OPTION.END) return overload;
    if (end - offset < 2 || bytes[offset + 1] > end - offset - 2) {
      weirds.push({ name: "DHCP_option_truncated", addl: `option ${code}` });
      return overload;
    }
    const length = bytes[offset + 1];
    if (code === OPTION.OVERLOAD && length === 1) overload = bytes[offset + 2];
    else parseOption(bytes, code, offset + 2, length, options, weirds);
    offset += 2 + length;
  }
  return overload;
}

export function parseDhcpMessage(bytes: Uint8Array): DhcpParseResult {
  try {
    return parse(bytes);
  } catch (cause) {
    // A parser bug must not take the sensor down; the fuzz tests assert this branch is never hit.
    return {
      ok: false,
      error: `internal DHCP parser error: ${cause instanceof Error ? cause.message : String(cause)}`,
      weirds: [{ name: "DHCP_parser_internal_error" }],
    };
  }
}

function parse(bytes: Uint8Array): DhcpParseResult {
  if (bytes.length < OPTIONS_OFFSET) {
    return {
      ok: false,
      error: `DHCP message of ${bytes.length} bytes is shorter than the ${OPTIONS_OFFSET}-byte BOOTP header and cookie`,
      weirds: [{ name: "DHCP_truncated_header" }],
    };
  }
  const op = bytes[0];
  if (op !== BOOTREQUEST && op !== BOOTREPLY) {
    return {
      ok: false,
      error: `BOOTP op ${op} is neither request (1) nor reply (2)`,
      weirds: [{ name: "DHCP_wrong_op_type" }],
    };
  }
  if (u32(bytes, BOOTP_FIXED_LENGTH) !== MAGIC_COOKIE) {
    return {
      ok: false,
      error: "BOOTP message without the DHCP magic cookie 99.130.83.99",
      weirds: [{ name: "DHCP_no_magic_cookie" }],
    };
  }
  const weirds: DhcpWeird[] = [];
  const options: DhcpOptions = {};
  const overload = parseOptionsArea(bytes, OPTIONS_OFFSET, bytes.length, options, weirds);
  if (overload & OVERLOAD_FILE)
    parseOptionsArea(bytes, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, options, weirds);
  if (overload & OVERLOAD_SNAME)
    parseOptionsArea(bytes, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, options, weirds);
  if (options.messageType === undefined) weirds.push({ name: "DHCP_no_type_option" });
  const message: DhcpMessage = {
    op,
    htype: bytes[1],
    hlen: bytes[2],
    hops: bytes[3],
    xid: u32(bytes, 4),
    secs: u16(bytes, 8),
    flags: u16(bytes, 10),
    ciaddr: formatIPv4(bytes, 12),
    yiaddr: formatIPv4(bytes, 16),
    siaddr: formatIPv4(bytes, 20),
    giaddr: formatIPv4(bytes, 24),
    chaddr: formatMac(bytes, CHADDR_OFFSET, CHADDR_LENGTH),
    options,
    weirds,
  };
  return { ok: true, message };
}
