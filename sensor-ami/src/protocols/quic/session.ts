// One quic.log record under construction: Zeek's QUIC::Info (scripts/base/protocols/quic/main.zeek).
import type { LogRecord } from "../types.js";

/** Zeek's QUIC::max_history_length default. */
const MAX_HISTORY_LENGTH = 100;
/** 0x20 tells an ASCII letter's lower case from its upper case. */
const ASCII_CASE_BIT = 0x20;

export class QuicSession {
  clientInitialDcid: string | undefined;
  clientScid: string | undefined;
  serverScid: string | undefined;
  serverName: string | undefined;
  clientProtocol: string | undefined;
  ja4: string | undefined;
  /** History letters as ASCII codes: appending per packet then allocates nothing. */
  private readonly history: Uint8Array;
  private historyLength = 0;

  constructor(
    readonly ts: number,
    readonly version: string,
    private readonly maxHistoryLength = MAX_HISTORY_LENGTH,
  ) {
    this.history = new Uint8Array(maxHistoryLength);
  }

  /** Append a history letter (upper case: client); "reached" when this letter hit the cap. */
  addHistory(isOrig: boolean, letter: string): "added" | "full" | "reached" {
    if (this.historyLength >= this.maxHistoryLength) return "full";
    const code = letter.charCodeAt(0) & ~ASCII_CASE_BIT;
    this.history[this.historyLength++] = isOrig ? code : code | ASCII_CASE_BIT;
    return this.historyLength === this.maxHistoryLength ? "reached" : "added";
  }

  toRecord(): LogRecord {
    const record: LogRecord = { ts: this.ts, version: this.version };
    if (this.clientInitialDcid !== undefined) record.client_initial_dcid = this.clientInitialDcid;
    if (this.clientScid !== undefined) record.client_scid = this.clientScid;
    if (this.serverScid !== undefined) record.server_scid = this.serverScid;
    if (this.serverName !== undefined) record.server_name = this.serverName;
    if (this.clientProtocol !== undefined) record.client_protocol = this.clientProtocol;
    record.history = Buffer.from(this.history.buffer, this.history.byteOffset, this.historyLength).toString(
      "latin1",
    );
    if (this.ja4 !== undefined) record.ja4 = this.ja4;
    return record;
  }
}
