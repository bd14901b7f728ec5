// DHCP transactions keyed by xid across connections: Zeek's DHCP::aggregate_msgs and join_data
// (scripts/base/protocols/dhcp/main.zeek), including its expiry timers and size limits.

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
import type { ConnectionIdentity, DhcpLogRecord, DhcpMessage } from "./types.js";

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
        record: { ts, msg_types: [], duration: 0 },
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

/** Zeek's column order; `uids` only when the engine gave connection uids. */
function toRecord(record: DhcpLogRecord, uids: Set<string>): DhcpLogRecord {
  return {
    ts: record.ts,
    ...(uids.size > 0 && { uids: [...uids] }),
    ...(record.client_addr !== undefined && { client_addr: record.client_addr }),
    ...(record.server_addr !== undefined && { server_addr: record.server_addr }),
    ...(record.mac !== undefined && { mac: record.mac }),
    ...(record.host_name !== undefined && { host_name: record.host_name }),
    ...(record.client_fqdn !== undefined && { client_fqdn: record.client_fqdn }),
    ...(record.domain !== undefined && { domain: record.domain }),
    ...(record.requested_addr !== undefined && { requested_addr: record.requested_addr }),
    ...(record.assigned_addr !== undefined && { assigned_addr: record.assigned_addr }),
    ...(record.lease_time !== undefined && { lease_time: record.lease_time }),
    ...(record.client_message !== undefined && { client_message: record.client_message }),
    ...(record.server_message !== undefined && { server_message: record.server_message }),
    msg_types: record.msg_types,
    duration: record.duration,
  };
}
