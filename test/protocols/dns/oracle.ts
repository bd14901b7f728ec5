// Compares the parser's view of each corpus frame with tshark 4.0's dissection of the same frame.

import { DnsTcpFramer, parseDnsMessage } from "../../../sensor-ami/src/protocols/dns/index.js";
import type { DnsMessage } from "../../../sensor-ami/src/protocols/dns/types.js";
import type { Frame } from "./support.js";

export const ORACLE_FIELDS = [
  "isResponse",
  "id",
  "opcode",
  "qname",
  "qtype",
  "rcode",
  "a",
  "aaaa",
  "cname",
] as const;
export type OracleField = (typeof ORACLE_FIELDS)[number];

export interface Disagreement {
  capture: string;
  frame: number;
  field: OracleField;
  tshark: string;
  ours: string;
}

const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;

/**
 * Names are byte strings (one char per byte, as Zeek keeps them); tshark shows them decoded as
 * UTF-8, so compare the same bytes the same way.
 */
function utf8(name: string): string {
  return Buffer.from(name, "latin1").toString("utf8");
}

/** Our rendering of the fields tshark printed, in tshark's formats (lists comma-joined). */
function fieldsOf(messages: DnsMessage[]): Record<OracleField, string> {
  const join = (pick: (m: DnsMessage) => string[]) => messages.flatMap(pick).join(",");
  const recordsOf = (type: number) => (m: DnsMessage) =>
    m.records.filter((r) => r.type === type && r.class !== 0).map((r) => r.reply ?? "");
  return {
    isResponse: join((m) => [m.qr ? "1" : "0"]),
    id: join((m) => [`0x${m.id.toString(16).padStart(4, "0")}`]),
    opcode: join((m) => [String(m.opcode)]),
    qname: join((m) => m.questions.map((q) => (q.name === "" ? "<Root>" : utf8(q.name)))),
    qtype: join((m) => m.questions.map((q) => String(q.qtype))),
    rcode: join((m) => (m.qr ? [String(m.rcode)] : [])),
    a: join(recordsOf(TYPE_A)),
    aaaa: join(recordsOf(TYPE_AAAA)),
    cname: join((m) => recordsOf(TYPE_CNAME)(m).map(utf8)),
  };
}

/** DNS messages per frame: UDP payloads as they are, TCP payloads through the length-prefix framer. */
export function messagesByFrame(frames: Frame[]): Map<Frame, DnsMessage[]> {
  const result = new Map<Frame, DnsMessage[]>();
  const framers = new Map<string, DnsTcpFramer>();
  let current: Frame | undefined;
  const add = (frame: Frame, bytes: Uint8Array) => {
    const parsed = parseDnsMessage(bytes, { allSections: true });
    const list = result.get(frame) ?? [];
    if (parsed.ok) list.push(parsed.message);
    result.set(frame, list);
  };
  for (const frame of frames) {
    if (frame.transport === "udp") {
      add(frame, frame.payload);
      continue;
    }
    const direction = `${frame.src} ${frame.sport} ${frame.dst} ${frame.dport}`;
    let framer = framers.get(direction);
    if (!framer) {
      framer = new DnsTcpFramer((bytes) => add(current!, bytes));
      framers.set(direction, framer);
    }
    current = frame;
    framer.feed(frame.payload);
  }
  return result;
}

export function compareWithTshark(frames: Frame[]): { compared: number; disagreements: Disagreement[] } {
  const disagreements: Disagreement[] = [];
  let compared = 0;
  for (const [frame, messages] of messagesByFrame(frames)) {
    if (frame.oracle.id === "") continue;
    const ours = fieldsOf(messages);
    for (const field of ORACLE_FIELDS) {
      compared++;
      const tshark = frame.oracle[field];
      if (tshark.toLowerCase() !== ours[field].toLowerCase()) {
        disagreements.push({ capture: frame.capture, frame: frame.frame, field, tshark, ours: ours[field] });
      }
    }
  }
  return { compared, disagreements };
}
