// One quic.log record under construction: Zeek's QUIC::Info (scripts/base/protocols/quic/main.zeek).
import type { LogRecord } from "../types.js";

/** Zeek's QUIC::max_history_length default. */
export const MAX_HISTORY_LENGTH = 100;

export class QuicSession {
  clientInitialDcid: string | undefined;
  clientScid: string | undefined;
  serverScid: string | undefined;
  serverName: string | undefined;
  clientProtocol: string | undefined;
  ja4: string | undefined;
  private history = "";

  constructor(
    readonly ts: number,
    readonly version: string,
    private readonly maxHistoryLength = MAX_HISTORY_LENGTH,
  ) {}

  /** Append a history letter (upper case: client); "reached" when this letter hit the cap. */
  addHistory(isOrig: boolean, letter: string): "added" | "full" | "reached" {
    if (this.history.length >= this.maxHistoryLength) return "full";
    this.history += isOrig ? letter.toUpperCase() : letter.toLowerCase();
    return this.history.length === this.maxHistoryLength ? "reached" : "added";
  }

  toRecord(): LogRecord {
    const record: LogRecord = { ts: this.ts, version: this.version };
    if (this.clientInitialDcid !== undefined) record.client_initial_dcid = this.clientInitialDcid;
    if (this.clientScid !== undefined) record.client_scid = this.clientScid;
    if (this.serverScid !== undefined) record.server_scid = this.serverScid;
    if (this.serverName !== undefined) record.server_name = this.serverName;
    if (this.clientProtocol !== undefined) record.client_protocol = this.clientProtocol;
    record.history = this.history;
    if (this.ja4 !== undefined) record.ja4 = this.ja4;
    return record;
  }
}
