// Query/response pairing for one connection, following Zeek's base/protocols/dns/main.zeek:
// a FIFO of pending queries and of pending replies per transaction ID, a record logged once both
// sides were seen, and everything unmatched logged when the connection ends.

import {
  className,
  MAX_PENDING_IDS,
  MAX_PENDING_PER_ID,
  opcodeName,
  queryTypeName,
  RR_TYPE,
  rcodeName,
  TRACKED_OPCODE_BITS,
} from "./constants.js";
import { decodeNetbiosName } from "./netbios.js";
import type { DnsLogRecord, DnsMessage } from "./types.js";

/**
 * One query/reply pairing under construction. A class with every field set in the constructor, so
 * all sessions share one hidden class (an object literal grown field by field in varying orders
 * made every access site polymorphic).
 */
class Session {
  rtt: number | undefined = undefined;
  query: string | undefined = undefined;
  qclass: number | undefined = undefined;
  qclass_name: string | undefined = undefined;
  qtype: number | undefined = undefined;
  qtype_name: string | undefined = undefined;
  rcode: number | undefined = undefined;
  rcode_name: string | undefined = undefined;
  AA = false;
  TC = false;
  RD = false;
  RA = false;
  Z = 0;
  answers: string[] | undefined = undefined;
  TTLs: number[] | undefined = undefined;
  rejected = false;
  opcode: number | undefined = undefined;
  opcode_name: string | undefined = undefined;
  sawQuery = false;
  sawReply = false;

  constructor(
    readonly ts: number,
    readonly proto: "udp" | "tcp",
    readonly trans_id: number,
  ) {}
}

type Pending = Map<number, Session[]>;

export class DnsSessions {
  /** Zeek's fast path: the single oldest unanswered query. */
  private pendingQuery: Session | undefined;
  /** Made on first use: most connections carry one query and its reply, on the fast path. */
  private pendingQueries: Pending | undefined;
  private pendingReplies: Pending | undefined;

  constructor(
    private readonly proto: "udp" | "tcp",
    private readonly emit: (record: DnsLogRecord) => void,
  ) {}

  message(message: DnsMessage, ts: number): void {
    if ((TRACKED_OPCODE_BITS & (1 << message.opcode)) === 0) return;
    const isQuery = !message.qr;
    const session = isQuery ? this.sessionForQuery(message.id, ts) : this.sessionForReply(message.id, ts);

    if (!isQuery) {
      session.rcode = message.rcode;
      session.rcode_name = rcodeName(message.rcode);
      if (message.rcode !== 0 && message.qdcount === 0) session.rejected = true;
    }
    session.opcode = message.opcode;
    session.opcode_name = opcodeName(message.opcode, message.netbios);

    const questions = message.questions;
    for (let index = 0; index < questions.length; index++) {
      const question = questions[index];
      if (isQuery) this.applyQuestion(session, message, question.name, question.qtype, question.qclass);
      else if (message.ancount === 0 && message.nscount === 0 && message.arcount === 0)
        session.rejected = true;
    }
    if (!isQuery) this.applyAnswers(session, message, ts);

    if (isQuery) session.sawQuery = true;
    else session.sawReply = true;
    if (session.sawQuery && session.sawReply) this.emit(toRecord(session));
  }

  /** Connection over: log every unmatched query and reply, as Zeek's finalize_dns does. */
  flush(): void {
    if (this.pendingQuery) this.emit(toRecord(this.pendingQuery));
    this.pendingQuery = undefined;
    if (this.pendingQueries) this.flushAll(this.pendingQueries);
    if (this.pendingReplies) this.flushAll(this.pendingReplies);
  }

  private applyQuestion(
    session: Session,
    message: DnsMessage,
    name: string,
    qtype: number,
    qclass: number,
  ): void {
    session.RD = message.rd;
    session.TC = message.tc;
    session.qclass = qclass;
    session.qclass_name = className(qclass);
    session.qtype = qtype;
    session.qtype_name = queryTypeName(qtype);
    session.Z = message.z;
    let query = name;
    if (message.netbios) {
      const decoded = decodeNetbiosName(name);
      if (decoded.length > 0) query = decoded;
      if (qtype === RR_TYPE.SRV) session.qtype_name = "NBSTAT";
    }
    session.query = query;
  }

  private applyAnswers(session: Session, message: DnsMessage, ts: number): void {
    const records = message.records;
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      if (record.section !== "answer" || record.reply === null) continue;
      if (session.query === undefined) session.query = record.name;
      session.AA = message.aa;
      session.RA = message.ra;
      if (session.rtt === undefined) {
        const rtt = ts - session.ts;
        // Zero means only the reply was seen (Zeek's reasoning): leave rtt unset.
        if (rtt !== 0) session.rtt = rtt;
      }
      if (record.reply !== "") {
        session.answers ??= [];
        session.TTLs ??= [];
        session.answers.push(record.reply);
        session.TTLs.push(record.ttl);
      }
    }
  }

  private sessionForQuery(id: number, ts: number): Session {
    const waitingReply = popMessage(this.pendingReplies, id);
    if (waitingReply) return waitingReply;
    const session = new Session(ts, this.proto, id);
    if (!this.pendingQuery) this.pendingQuery = session;
    else {
      this.pendingQueries ??= new Map();
      this.enqueue(this.pendingQueries, id, session);
    }
    return session;
  }

  private sessionForReply(id: number, ts: number): Session {
    const fastPath = this.pendingQuery;
    if (fastPath && fastPath.trans_id === id) {
      // Refill the fast path from the queues so queries sharing an ID keep their order.
      this.pendingQuery = popMessage(this.pendingQueries, id) ?? popFirst(this.pendingQueries);
      return fastPath;
    }
    const waitingQuery = popMessage(this.pendingQueries, id);
    if (waitingQuery) return waitingQuery;
    const session = new Session(ts, this.proto, id);
    this.pendingReplies ??= new Map();
    this.enqueue(this.pendingReplies, id, session);
    return session;
  }

  /** Zeek's enqueue_new_msg: beyond the limits the unmatched messages are logged and dropped. */
  private enqueue(pending: Pending, id: number, session: Session): void {
    let queue = pending.get(id);
    if (!queue) {
      if (pending.size > MAX_PENDING_IDS) this.flushAll(pending);
      queue = [];
      pending.set(id, queue);
    } else if (queue.length > MAX_PENDING_PER_ID) {
      for (const stale of queue) this.emit(toRecord(stale));
      queue = [];
      pending.set(id, queue);
    }
    queue.push(session);
  }

  private flushAll(pending: Pending): void {
    for (const queue of pending.values()) for (const session of queue) this.emit(toRecord(session));
    pending.clear();
  }
}

function popMessage(pending: Pending | undefined, id: number): Session | undefined {
  if (pending === undefined) return undefined;
  const queue = pending.get(id);
  if (!queue || queue.length === 0) return undefined;
  const session = queue.shift();
  if (queue.length === 0) pending.delete(id);
  return session;
}

function popFirst(pending: Pending | undefined): Session | undefined {
  if (pending === undefined) return undefined;
  for (const id of pending.keys()) {
    const session = popMessage(pending, id);
    if (session) return session;
  }
  return undefined;
}

/**
 * The log line: only fields that are set, in Zeek's column order. Built by assignment in that
 * order (not by spreading conditional objects), so every record takes one of a few hidden-class
 * paths and the log writer's key walk over it stays cheap.
 */
function toRecord(session: Session): DnsLogRecord {
  const record: DnsLogRecord = {
    ts: session.ts,
    proto: session.proto,
    trans_id: session.trans_id,
  } as DnsLogRecord;
  if (session.rtt !== undefined) record.rtt = session.rtt;
  if (session.query !== undefined) record.query = session.query;
  if (session.qclass !== undefined) {
    record.qclass = session.qclass;
    record.qclass_name = session.qclass_name;
  }
  if (session.qtype !== undefined) {
    record.qtype = session.qtype;
    record.qtype_name = session.qtype_name;
  }
  if (session.rcode !== undefined) {
    record.rcode = session.rcode;
    record.rcode_name = session.rcode_name;
  }
  record.AA = session.AA;
  record.TC = session.TC;
  record.RD = session.RD;
  record.RA = session.RA;
  record.Z = session.Z;
  if (session.answers !== undefined) {
    record.answers = session.answers;
    record.TTLs = session.TTLs;
  }
  record.rejected = session.rejected;
  if (session.opcode !== undefined) {
    record.opcode = session.opcode;
    record.opcode_name = session.opcode_name;
  }
  return record;
}
