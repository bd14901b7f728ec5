// DHCP transactions keyed by xid across connections: Zeek's DHCP::aggregate_msgs and join_data
// (scripts/base/protocols/dhcp/main.zeek), including its expiry timers and size limits.

import type { ConnectionIdentity } from "../types.js";
import {
  CLIENT_PORT,
  DEFAULT_MAX_MSG_TYPES_PER_LOG,
  DEFAULT_MAX_OPEN_TRANSACTIONS,
  DEFAULT_MAX_UIDS_PER_LOG,
  FIRST_CHECK_AFTER,
  IDLE_BEFORE_LOG,
  MAX_TXID_WATCH_TIME,
  messageTypeName,
  RECHECK_EVERY,
  SERVER_PORT,
} from "./constants.js";
import type { DhcpLogRecord, DhcpMessage } from "./types.js";

export interface DhcpTransactionsOptions {
  /** Receives finished dhcp.log records; the engine writes them as they are (no uid/id.* added). */
  log: (record: DhcpLogRecord) => void;
  maxUidsPerLog?: number;
  maxMsgTypesPerLog?: number;
  maxOpenTransactions?: number;
}

interface Transaction {
  record: DhcpLogRecord;
  uids: Set<string>;
  lastMessageTs: number;
  nextCheck: number;
  clientChaddr?: string;
}

const UNSPECIFIED = "0.0.0.0";
const BROADCAST = "255.255.255.255";

export class DhcpTransactions {
  private readonly open = new Map<number, Transaction>();
  private readonly maxUids: number;
  private readonly maxMsgTypes: number;
  private readonly maxOpen: number;
  /** Transactions logged before their time because the store was full. */
  evicted = 0;

  constructor(private readonly options: DhcpTransactionsOptions) {
    this.maxUids = options.maxUidsPerLog ?? DEFAULT_MAX_UIDS_PER_LOG;
    this.maxMsgTypes = options.maxMsgTypesPerLog ?? DEFAULT_MAX_MSG_TYPES_PER_LOG;
    this.maxOpen = options.maxOpenTransactions ?? DEFAULT_MAX_OPEN_TRANSACTIONS;
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Adds one message. `connection` is the datagram's connection in the engine's orientation; when
   * the engine cannot supply it, BOOTP fields stand in (op for the direction, ciaddr for the client
   * address, option 54 for the server) and `uids` stays absent.
   */
  add(message: DhcpMessage, ts: number, isOrig: boolean, connection: ConnectionIdentity | undefined): void {
    const type = message.options.messageType;
    if (type === undefined) return;
    this.expire(ts);
    let transaction = this.open.get(message.xid);
    if (!transaction) {
      if (this.open.size >= this.maxOpen) this.evictOldest();
      transaction = {
        record: newRecord(ts),
        uids: new Set(),
        lastMessageTs: ts,
        nextCheck: ts + FIRST_CHECK_AFTER,
      };
      this.open.set(message.xid, transaction);
    }
    const { record } = transaction;
    record.duration = ts - record.ts;
    if (connection) transaction.uids.add(connection.uid);
    record.msg_types.push(messageTypeName(type));
    transaction.lastMessageTs = ts;

    const id = connection?.id;
    // Zeek: is_orig is true for server broadcasts too, so the ports and 0.0.0.0 tell the client.
    const isClient = id
      ? isOrig && (id.orig_h === UNSPECIFIED || id.orig_p === CLIENT_PORT || id.resp_p === SERVER_PORT)
      : message.op === 1;
    const { options } = message;
    if (options.message !== undefined) {
      if (isClient) record.client_message = options.message;
      else record.server_message = options.message;
    }
    if (isClient) {
      const source = id ? id.orig_h : message.ciaddr;
      if (source !== UNSPECIFIED && source !== BROADCAST) record.client_addr = source;
      if (options.hostName !== undefined) record.host_name = options.hostName;
      if (options.clientFqdn !== undefined) record.client_fqdn = options.clientFqdn;
      if (options.clientId && options.clientId.hwtype === 1) record.mac = options.clientId.hwaddr;
      else transaction.clientChaddr = message.chaddr;
      if (options.requestedAddr !== undefined) record.requested_addr = options.requestedAddr;
    } else {
      if (message.yiaddr !== UNSPECIFIED) {
        const server = id ? (isOrig ? id.orig_h : id.resp_h) : options.serverId;
        if (server !== undefined) record.server_addr = server;
        record.assigned_addr = message.yiaddr;
      }
      if (message.chaddr !== "" && record.mac === undefined) record.mac = message.chaddr;
      if (record.client_addr === undefined && record.assigned_addr !== undefined) {
        record.client_addr = record.assigned_addr;
      }
      if (options.domainName !== undefined) record.domain = options.domainName;
      if (options.leaseTime !== undefined) record.lease_time = options.leaseTime;
    }

    if (transaction.uids.size >= this.maxUids || record.msg_types.length >= this.maxMsgTypes) {
      this.open.delete(message.xid);
      this.write(transaction);
    }
  }

  /** Zeek's join_data expiry: checked 10 s after creation, then every 5 s, using network time. */
  expire(now: number): void {
    for (const [xid, transaction] of this.open) {
      if (transaction.nextCheck > now) continue;
      if (
        now - transaction.lastMessageTs > IDLE_BEFORE_LOG ||
        now - transaction.record.ts > MAX_TXID_WATCH_TIME
      ) {
        this.open.delete(xid);
        this.finish(transaction);
      } else {
        transaction.nextCheck = now + RECHECK_EVERY;
      }
    }
  }

  /** Shutdown: log everything still open (Zeek's zeek_done handler). */
  flush(): void {
    for (const transaction of this.open.values()) this.finish(transaction);
    this.open.clear();
  }

  private evictOldest(): void {
    for (const [xid, transaction] of this.open) {
      this.open.delete(xid);
      this.evicted++;
      this.finish(transaction);
      return;
    }
  }

  /** Expiry path: fill mac from the client's chaddr when nothing better was seen. */
  private finish(transaction: Transaction): void {
    if (transaction.record.mac === undefined && transaction.clientChaddr) {
      transaction.record.mac = transaction.clientChaddr;
    }
    this.write(transaction);
  }

  private write(transaction: Transaction): void {
    const { record, uids } = transaction;
    this.options.log(toRecord(record, uids));
  }
}

/** Every field present from the start, so all open records share one hidden class. */
function newRecord(ts: number): DhcpLogRecord {
  return {
    ts,
    uids: undefined,
    client_addr: undefined,
    server_addr: undefined,
    mac: undefined,
    host_name: undefined,
    client_fqdn: undefined,
    domain: undefined,
    requested_addr: undefined,
    assigned_addr: undefined,
    lease_time: undefined,
    client_message: undefined,
    server_message: undefined,
    msg_types: [],
    duration: 0,
  };
}

/**
 * Zeek's column order; `uids` only when the engine gave connection uids. Fields are assigned in
 * that order (no spreads of conditional objects), leaving out the unset ones.
 */
function toRecord(record: DhcpLogRecord, uids: Set<string>): DhcpLogRecord {
  const out = { ts: record.ts } as DhcpLogRecord;
  if (uids.size > 0) out.uids = [...uids];
  if (record.client_addr !== undefined) out.client_addr = record.client_addr;
  if (record.server_addr !== undefined) out.server_addr = record.server_addr;
  if (record.mac !== undefined) out.mac = record.mac;
  if (record.host_name !== undefined) out.host_name = record.host_name;
  if (record.client_fqdn !== undefined) out.client_fqdn = record.client_fqdn;
  if (record.domain !== undefined) out.domain = record.domain;
  if (record.requested_addr !== undefined) out.requested_addr = record.requested_addr;
  if (record.assigned_addr !== undefined) out.assigned_addr = record.assigned_addr;
  if (record.lease_time !== undefined) out.lease_time = record.lease_time;
  if (record.client_message !== undefined) out.client_message = record.client_message;
  if (record.server_message !== undefined) out.server_message = record.server_message;
  out.msg_types = record.msg_types;
  out.duration = record.duration;
  return out;
}
