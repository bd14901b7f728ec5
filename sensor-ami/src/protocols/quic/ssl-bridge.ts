// Zeek logs an ssl.log record for every QUIC connection: its QUIC analyzer hands the reassembled
// CRYPTO data to the SSL analyzer as TLS 1.3 handshake records. We do the same with the TLS
// analyzer, through a context that gives ssl.log the QUIC form of JA4 (`q`, not `t`).
import type { ClientHello, HelloObserver } from "../tls/index.js";
import type { AnalyzerContext, LogRecord, StreamAnalyzer } from "../types.js";

const CONTENT_HANDSHAKE = 0x16;
const TLS12_RECORD_VERSION = 0x0303;
const RECORD_HEADER_LENGTH = 5;
/** A TLS record carries at most 2^14 bytes of plaintext (RFC 8446 §5.1). */
const MAX_RECORD_PAYLOAD = 2 ** 14;

/** `observer` taps the hellos the TLS analyzer parses, so the QUIC side need not parse them again. */
export type StreamAnalyzerMaker = (ctx: AnalyzerContext, observer?: HelloObserver) => StreamAnalyzer;

/** Frame one handshake message as TLSPlaintext records, split at the record size limit. */
export function asHandshakeRecords(message: Uint8Array): Uint8Array {
  const records = Math.max(1, Math.ceil(message.length / MAX_RECORD_PAYLOAD));
  const out = new Uint8Array(message.length + records * RECORD_HEADER_LENGTH);
  let pos = 0;
  for (let from = 0; from < message.length || pos === 0; from += MAX_RECORD_PAYLOAD) {
    const chunk = message.subarray(from, Math.min(message.length, from + MAX_RECORD_PAYLOAD));
    out[pos] = CONTENT_HANDSHAKE;
    out[pos + 1] = TLS12_RECORD_VERSION >> 8;
    out[pos + 2] = TLS12_RECORD_VERSION & 0xff;
    out[pos + 3] = chunk.length >> 8;
    out[pos + 4] = chunk.length & 0xff;
    out.set(chunk, pos + RECORD_HEADER_LENGTH);
    pos += RECORD_HEADER_LENGTH + chunk.length;
    if (chunk.length === 0) break;
  }
  return out;
}

/** Feeds complete hellos to a TLS stream analyzer and keeps its output QUIC-flavoured. */
export class SslBridge {
  private analyzer: StreamAnalyzer | undefined;
  private detached = false;
  /** What the TLS analyzer parsed while handling the last hello() call. */
  private parsedClientHello: ClientHello | undefined;
  private parsedServerHello = false;
  private readonly observer: HelloObserver = {
    clientHello: (hello) => {
      this.parsedClientHello = hello;
    },
    serverHello: () => {
      this.parsedServerHello = true;
    },
  };

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly make: StreamAnalyzerMaker,
  ) {}

  hello(isOrig: boolean, message: Uint8Array, ts: number): void {
    this.parsedClientHello = undefined;
    this.parsedServerHello = false;
    if (this.detached) return;
    this.analyzer ??= this.make(this.quicContext(), this.observer);
    this.analyzer.data(isOrig, asHandshakeRecords(message), ts);
  }

  /** The ClientHello the TLS analyzer parsed from the last hello() message, if it did. */
  clientHelloParsed(): ClientHello | undefined {
    return this.parsedClientHello;
  }

  /** Whether the TLS analyzer parsed the last hello() message as a valid ServerHello. */
  serverHelloParsed(): boolean {
    return this.parsedServerHello;
  }

  end(ts: number): void {
    this.analyzer?.end(ts);
    this.analyzer = undefined;
  }

  private quicContext(): AnalyzerContext {
    const ctx = this.ctx;
    return {
      log: (path: string, record: LogRecord) => {
        // JA4's first character names the transport: the TLS analyzer assumes TCP.
        if (path === "ssl" && typeof record.ja4 === "string" && record.ja4.startsWith("t")) {
          record.ja4 = `q${record.ja4.slice(1)}`;
        }
        ctx.log(path, record);
      },
      weird: (name, addl) => ctx.weird(name, addl),
      confirm: (service) => ctx.confirm(service),
      // The TLS side giving up must not detach QUIC: just stop feeding it.
      violation: () => {
        this.detached = true;
      },
    };
  }
}
