// Probes for BER-encoded protocols: Kerberos (RFC 4120 §5) and LDAP (RFC 4511 §4.1.1).

import { ProbeResult } from "../types.js";
import { readBerHeader, readBerSmallInt, u32be } from "./bytes.js";

const KRB_PVNO = 5;
/** [APPLICATION n] message numbers the KDC exchange starts with: AS-REQ/REP, TGS-REQ/REP, KRB-ERROR. */
const KRB_REQUESTS = new Set([10, 12]);
const KRB_REPLIES = new Set([11, 13, 30]);
/** KDC messages over TCP are prefixed by a 4-byte length with the top bit reserved (RFC 4120 §7.2.2). */
const KRB_TCP_MAX_RECORD = 0x7fffffff;

/**
 * A Kerberos message: [APPLICATION n] SEQUENCE { [x] pvno INTEGER 5, [x+1] msg-type INTEGER n }.
 * Requests number pvno [1], replies and errors [0].
 */
function kerberosMessage(b: Uint8Array, at: number): boolean {
  // [APPLICATION n] constructed: the one byte most payloads fail on, before any parsing.
  if ((b[at] & 0xe0) !== 0x60) return false;
  const app = readBerHeader(b, at);
  if (!app || (app.tag & 0xe0) !== 0x60) return false;
  const messageType = app.tag & 0x1f;
  const pvnoTag = KRB_REQUESTS.has(messageType) ? 0xa1 : KRB_REPLIES.has(messageType) ? 0xa0 : undefined;
  if (pvnoTag === undefined) return false;
  const sequence = readBerHeader(b, app.contentStart);
  if (sequence?.tag !== 0x30) return false;
  const pvnoField = readBerHeader(b, sequence.contentStart);
  if (!pvnoField || pvnoField.tag !== pvnoTag) return false;
  const pvno = readBerSmallInt(b, pvnoField.contentStart);
  if (!pvno || pvno.value !== KRB_PVNO) return false;
  const typeField = readBerHeader(b, pvno.end);
  if (!typeField || typeField.tag !== pvnoTag + 1) return false;
  return readBerSmallInt(b, typeField.contentStart)?.value === messageType;
}

export function probeKerberosUdp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  return kerberosMessage(bytes, 0) ? ProbeResult.Yes : ProbeResult.No;
}

export function probeKerberosTcp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes.length < 8 || u32be(bytes, 0) > KRB_TCP_MAX_RECORD || u32be(bytes, 0) < 16) return ProbeResult.No;
  return kerberosMessage(bytes, 4) ? ProbeResult.Yes : ProbeResult.No;
}

/** LDAP protocolOp [APPLICATION n] tags, and what the operation's first field must be. */
const LDAP_FIRST_FIELD = new Map<number, number | undefined>([
  [0x60, 0x02], // bindRequest: version INTEGER
  [0x61, 0x0a], // bindResponse: resultCode ENUMERATED
  [0x63, 0x04], // searchRequest: baseObject OCTET STRING
  [0x64, 0x04], // searchResEntry: objectName
  [0x65, 0x0a], // searchResDone
  [0x66, 0x04], // modifyRequest: object
  [0x67, 0x0a], // modifyResponse
  [0x68, 0x04], // addRequest: entry
  [0x69, 0x0a], // addResponse
  [0x6b, 0x0a], // delResponse
  [0x6c, 0x04], // modDNRequest: entry
  [0x6d, 0x0a], // modDNResponse
  [0x6e, 0x04], // compareRequest: entry
  [0x6f, 0x0a], // compareResponse
  [0x77, 0x80], // extendedReq: [0] requestName
  [0x78, 0x0a], // extendedResp
  [0x42, undefined], // unbindRequest (NULL content)
  [0x4a, undefined], // delRequest (LDAPDN content)
  [0x50, undefined], // abandonRequest (MessageID content)
]);
const LDAP_MAX_MESSAGE_ID = 0x7fffffff;

/** LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE {…}, controls [0] OPTIONAL }. */
export function probeLdap(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes[0] !== 0x30) return ProbeResult.No;
  const message = readBerHeader(bytes, 0);
  if (message?.tag !== 0x30 || message.length < 5) return ProbeResult.No;
  const id = readBerSmallInt(bytes, message.contentStart);
  if (!id || id.value > LDAP_MAX_MESSAGE_ID) return ProbeResult.No;
  const op = readBerHeader(bytes, id.end);
  if (!op || !LDAP_FIRST_FIELD.has(op.tag)) return ProbeResult.No;
  const firstField = LDAP_FIRST_FIELD.get(op.tag);
  if (firstField === undefined) return ProbeResult.Maybe;
  const field = readBerHeader(bytes, op.contentStart);
  if (!field || field.tag !== firstField) return ProbeResult.No;
  if (op.tag === 0x60) {
    const version = readBerSmallInt(bytes, op.contentStart);
    return version && (version.value === 2 || version.value === 3) ? ProbeResult.Yes : ProbeResult.No;
  }
  return ProbeResult.Yes;
}
