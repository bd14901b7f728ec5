// NetBIOS first-level name decoding (RFC 1001 §14.1), as Zeek's decode_netbios_name does for
// queries to port 137: 32 letters 'A'..'P' encode 16 bytes; the 16th is the name-type suffix.

const ENCODED_LENGTH = 32;
const NAME_LENGTH = 15;
const LETTER_A = 0x41;

/** The decoded NetBIOS name without suffix and padding, or "" when `query` is not NetBIOS-encoded. */
export function decodeNetbiosName(query: string): string {
  if (query.length < ENCODED_LENGTH) return "";
  let decoded = "";
  for (let index = 0; index < NAME_LENGTH; index++) {
    const high = (query.charCodeAt(index * 2) & ~0x20) - LETTER_A;
    const low = (query.charCodeAt(index * 2 + 1) & ~0x20) - LETTER_A;
    if (high < 0 || high > 15 || low < 0 || low > 15) return "";
    decoded += String.fromCharCode((high << 4) | low);
  }
  return decoded.replace(/[\s\0]+$/, "");
}
