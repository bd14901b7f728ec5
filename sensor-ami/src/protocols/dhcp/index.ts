// DHCP (BOOTP) analyzer producing Zeek's dhcp.log, one line per transaction (xid).
//
// Engine integration. Zeek groups a transaction's messages by xid across the several UDP
// "connections" it spans (0.0.0.0:68→255.255.255.255:67, the server's unicast or broadcast
// replies), and dhcp.log carries `uids` (a set) instead of uid/id.*. Two ways to run it:
//
// 1. Full fidelity: the engine creates one store per engine,
//      const store = createDhcpTransactions({ log: (record) => writeLog("dhcp", record) });
//      registry.add(createDhcpFactory(store));
//    writes `store`'s records as they are (they already hold `uids`; add no uid/id.*), calls
//    `store.expire(networkTime)` now and then (Zeek checks every 5 s of network time) and
//    `store.flush()` at shutdown, and gives the context's `connection` capability (uid and
//    conn_id in its flipped orientation, AnalyzerContext.connection).
// 2. `dhcp` as is: each connection gets a private store flushed at end(); records go through
//    ctx.log("dhcp"), so the engine adds that connection's uid/id.* and no `uids` is emitted.
//    Messages of one transaction on different connections then make separate lines, and the
//    addresses come from BOOTP fields (ciaddr, option 54).

import type { DatagramAnalyzerFactory } from "../types.js";
import { DhcpAnalyzer } from "./analyzer.js";
import { DHCP_PORTS } from "./constants.js";
import { probeDhcpMessage } from "./probe.js";
import { DhcpTransactions, type DhcpTransactionsOptions } from "./transactions.js";

export { parseDhcpMessage } from "./parser.js";
export { probeDhcpMessage } from "./probe.js";
export { DHCP_SCHEMA } from "./schema.js";
export type { DhcpTransactionsOptions } from "./transactions.js";
export type * from "./types.js";

export function createDhcpTransactions(options: DhcpTransactionsOptions): DhcpTransactions {
  return new DhcpTransactions(options);
}

/** The factory to register when the engine keeps one DhcpTransactions store for all connections. */
export function createDhcpFactory(store: DhcpTransactions): DatagramAnalyzerFactory {
  return {
    service: "dhcp",
    transport: "udp",
    ports: DHCP_PORTS,
    probe: (bytes) => probeDhcpMessage(bytes),
    create: (ctx) => new DhcpAnalyzer(ctx, store, false),
  };
}

export const dhcp: DatagramAnalyzerFactory = {
  service: "dhcp",
  transport: "udp",
  ports: DHCP_PORTS,
  probe: (bytes) => probeDhcpMessage(bytes),
  create: (ctx) =>
    new DhcpAnalyzer(ctx, new DhcpTransactions({ log: (record) => ctx.log("dhcp", record) }), true),
};
