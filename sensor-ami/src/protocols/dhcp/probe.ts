// Content probe: a BOOTP header with a sane op/hlen and the DHCP magic cookie.

import { ProbeResult } from "../types.js";
import {
  BOOTP_FIXED_LENGTH,
  BOOTREPLY,
  BOOTREQUEST,
  CHADDR_LENGTH,
  MAGIC_COOKIE,
  OPTIONS_OFFSET,
} from "./constants.js";

export function probeDhcpMessage(bytes: Uint8Array): ProbeResult {
  if (bytes.length < OPTIONS_OFFSET) return ProbeResult.No;
  const op = bytes[0];
  if (op !== BOOTREQUEST && op !== BOOTREPLY) return ProbeResult.No;
  if (bytes[2] > CHADDR_LENGTH) return ProbeResult.No;
  const cookie =
    ((bytes[BOOTP_FIXED_LENGTH] << 24) |
      (bytes[BOOTP_FIXED_LENGTH + 1] << 16) |
      (bytes[BOOTP_FIXED_LENGTH + 2] << 8) |
      bytes[BOOTP_FIXED_LENGTH + 3]) >>>
    0;
  return cookie === MAGIC_COOKIE ? ProbeResult.Yes : ProbeResult.No;
}
