// Per-connection DHCP analyzer: parses each datagram and hands it to a transaction store.

import type { AnalyzerContext, DatagramAnalyzer } from "../types.js";
import { parseDhcpMessage } from "./parser.js";
import type { DhcpTransactions } from "./transactions.js";

export class DhcpAnalyzer implements DatagramAnalyzer {
  private confirmed = false;

  /**
   * @param transactions the engine-wide store (shared by every DHCP connection), which names each
   * message's connection (ctx.connection) in its records' `uids`; or a private one, whose records
   * go through ctx.log and so get this connection's uid/id.* from the host instead
   * @param ownsTransactions true for a private store, which is then flushed when this connection ends
   */
  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly transactions: DhcpTransactions,
    private readonly ownsTransactions: boolean,
  ) {}

  packet(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    try {
      this.process(isOrig, bytes, ts);
    } catch (cause) {
      // Last line of defence for a bug in transaction tracking: the engine must keep running.
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.ctx.weird("DHCP_analyzer_internal_error", reason);
      this.ctx.violation(`internal DHCP analyzer error: ${reason}`);
    }
  }

  private process(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    const parsed = parseDhcpMessage(bytes);
    const weirds = parsed.ok ? parsed.message.weirds : parsed.weirds;
    for (const weird of weirds) this.ctx.weird(weird.name, weird.addl);
    if (!parsed.ok) {
      if (!this.confirmed) this.ctx.violation(parsed.error);
      return;
    }
    if (!this.confirmed && parsed.message.options.messageType !== undefined) {
      this.confirmed = true;
      this.ctx.confirm("dhcp");
    }
    const connection = this.ownsTransactions ? undefined : this.ctx.connection;
    this.transactions.add(parsed.message, ts, isOrig, connection);
  }

  end(ts: number): void {
    if (this.ownsTransactions) this.transactions.flush();
    else this.transactions.expire(ts);
  }
}
