// Zeek's ICMP "connections": a message and its counterpart (echo request/reply, router
// solicitation/advertisement…) belong to one connection, keyed by the type and the counterpart's
// type as the two "ports"; the sender of the reply half is the responder.

/** Per ICMPv4 type, the type of the other half of its exchange (-1: a one-way message). */
export const ICMP4_COUNTERPART = new Int16Array(256).fill(-1);
/** Per ICMPv6 type, the type of the other half of its exchange (-1: a one-way message). */
export const ICMP6_COUNTERPART = new Int16Array(256).fill(-1);
for (const [a, b] of [
  [8, 0],
  [13, 14],
  [15, 16],
  [10, 9],
  [17, 18],
]) {
  ICMP4_COUNTERPART[a] = b;
  ICMP4_COUNTERPART[b] = a;
}
for (const [a, b] of [
  [128, 129],
  [130, 131],
  [133, 134],
  [135, 136],
  [139, 140],
  [144, 145],
]) {
  ICMP6_COUNTERPART[a] = b;
  ICMP6_COUNTERPART[b] = a;
}
/** ICMP types whose sender is the responder of the exchange (replies/adverts). */
export const ICMP4_REPLY = new Set([0, 14, 16, 9, 18]);
export const ICMP6_REPLY = new Set([129, 131, 134, 136, 140, 145]);
