// The TLS stream analyzer: record layer per direction → handshake messages → one ssl.log record
// (Zeek's base/protocols/ssl/main.zeek semantics) plus one x509.log record per certificate.
//
// Like Zeek (SSL::disable_analyzer_after_detection), parsing stops once the session is established
// (both sides have switched to encrypted records and one more record went by): the record is
// logged then, or at connection end for sessions that never got there.

import { hex } from "../../text/bytes.js";
import type { AnalyzerContext, LogRecord, StreamAnalyzer } from "../types.js";
import { clientFingerprints, type Ja4Transport, ja3s } from "./fingerprints.js";
import { HandshakeAssembler, type HandshakeMessage, type HandshakeSink } from "./handshake-assembler.js";
import {
  type ClientHello,
  EXT_PRE_SHARED_KEY,
  EXT_SESSION_TICKET,
  HANDSHAKE_CLIENT_HELLO,
  HANDSHAKE_SERVER_HELLO,
  negotiatedVersion,
  parseClientHello,
  parseServerHello,
  parseSslV2ClientHello,
  type ServerHello,
  type TlsExtension,
} from "./hello.js";
import {
  CONTENT_ALERT,
  CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC,
  CONTENT_HANDSHAKE,
  CONTENT_HEARTBEAT,
  type FramingProblem,
  RecordFramer,
  type TlsRecord,
} from "./record-layer.js";
import { parseSslV2ServerHello, SSLV2_CIPHER_NAMES, SslV2Detector, type SslV2Message } from "./sslv2.js";
import { alertName, cipherName, groupName, HANDSHAKE_HISTORY_LETTERS, versionName } from "./tables.js";
import { hostMatchesCertificate, parseCertificate, type X509Info } from "./x509.js";
import { x509Record } from "./x509-log.js";

/** Zeek's SSL::max_ssl_history_length. */
const MAX_SSL_HISTORY_LENGTH = 100;
/** Certificates logged per direction; longer chains are cut (a weird says so). */
const MAX_CERTIFICATES_PER_CHAIN = 16;

const HANDSHAKE_CERTIFICATE = 11;
const HANDSHAKE_SERVER_KEY_EXCHANGE = 12;
const HANDSHAKE_CLIENT_KEY_EXCHANGE = 16;
const TLS13 = 0x0304;
/** TLS 1.3 drafts (0x7fNN) behave like TLS 1.3 for protection and resumption. */
function isTls13(version: number | undefined): boolean {
  return version === TLS13 || (version !== undefined && version >> 8 === 0x7f);
}
const SSLV2 = 0x0002;
/** ServerKeyExchange ECParameters.curve_type value for a named curve (RFC 8422 §5.4). */
const EC_CURVE_TYPE_NAMED = 3;

/** Optional taps on every parsed hello (the log keeps only the first ClientHello's fingerprints). */
export interface HelloObserver {
  clientHello?(hello: ClientHello): void;
  serverHello?(hello: ServerHello): void;
}

interface TlsAnalyzerOptions extends HelloObserver {
  /** JA4's transport letter for ssl.log: "t" (TLS over TCP, the default), "q" when QUIC feeds its hellos in. */
  ja4Transport?: Ja4Transport;
}

interface Direction {
  readonly isOrig: boolean;
  readonly framer: RecordFramer;
  readonly handshake: HandshakeAssembler;
  /** Where `handshake` delivers this direction's messages (made once, not per record). */
  readonly handshakeSink: HandshakeSink;
  /** This side has sent ChangeCipherSpec (or TLS 1.3 keys are in use): its records are ciphertext. */
  encrypted: boolean;
  /** Recognises an SSLv2 hello at the start of the direction. */
  readonly sslv2: SslV2Detector;
}

/** True for an empty session ID too: an all-zero ID counts as no ID. */
function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function findExtension(extensions: readonly TlsExtension[], type: number): TlsExtension | undefined {
  for (let i = 0; i < extensions.length; i++) if (extensions[i].type === type) return extensions[i];
  return undefined;
}

/** From now on only the record headers of `dir` matter (its contents are ciphertext). */
function markEncrypted(dir: Direction): void {
  dir.encrypted = true;
  dir.framer.skipFragments = true;
}

export class TlsAnalyzer implements StreamAnalyzer {
  private readonly orig: Direction;
  private readonly resp: Direction;
  /** Set at the first TLS event (Zeek's set_session). */
  private ts: number | undefined;
  private currentTs = 0;
  private history = "";
  private version: string | undefined;
  private versionNumber: number | undefined;
  private cipher: string | undefined;
  private curve: string | undefined;
  private serverName: string | undefined;
  private nextProtocol: string | undefined;
  private lastAlert: string | undefined;
  private resumed = false;
  private established = false;
  private ja3: string | undefined;
  private ja3s: string | undefined;
  private ja4: string | undefined;
  private clientSessionId: string | undefined;
  private clientTicketWithEmptySession = false;
  private clientKeyExchangeSeen = false;
  private clientPskSeen = false;
  private serverChain: X509Info[] = [];
  private clientChain: X509Info[] = [];
  private confirmed = false;
  /** False when the first ClientHello came from the responder (Zeek's "^" flip, e.g. mid-stream starts). */
  private clientIsOrig = true;
  private sawClientHello = false;
  private logged = false;
  /** Nothing more to parse (established, violation, or gave up): data() becomes a no-op. */
  private done = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly options: TlsAnalyzerOptions = {},
  ) {
    this.orig = this.direction(true);
    this.resp = this.direction(false);
  }

  private direction(isOrig: boolean): Direction {
    return {
      isOrig,
      framer: new RecordFramer({
        record: (record) => this.onRecord(isOrig, record),
        problem: (problem) => this.onFramingProblem(isOrig, problem),
      }),
      handshake: new HandshakeAssembler(),
      handshakeSink: {
        message: (message) => this.onHandshake(isOrig, message),
        oversized: (type, length) => {
          this.ctx.weird("SSL_handshake_message_too_large", `type ${type}, ${length} bytes`);
          this.addHistory(isOrig, this.historyLetter(type));
        },
      },
      encrypted: false,
      sslv2: new SslV2Detector(isOrig),
    };
  }

  data(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.done || bytes.length === 0) return;
    this.currentTs = ts;
    const dir = isOrig ? this.orig : this.resp;
    // No catch-all here: parsers return malformed input as values, and what ctx.log() throws (a log
    // write failure) must reach the inspector, which tells it apart from analyzer bugs.
    const rest = dir.sslv2.push(bytes, this.onSslV2Hello);
    if (rest === undefined || rest.length === 0 || this.done) return;
    dir.framer.push(rest);
  }

  gap(isOrig: boolean, _length: number, _ts: number): void {
    if (this.done) return;
    // Record boundaries are lost after a gap: stop parsing (what is known so far is still logged).
    this.ctx.weird("SSL_content_gap", isOrig ? "originator" : "responder");
    this.giveUp();
  }

  end(_ts: number): void {
    this.writeLog();
    this.done = true;
  }

  private giveUp(): void {
    this.done = true;
    this.orig.framer.stop();
    this.resp.framer.stop();
    this.orig.handshake.reset();
    this.resp.handshake.reset();
  }

  private startSession(): void {
    if (this.ts === undefined) this.ts = this.currentTs;
  }

  private isClient(isOrig: boolean): boolean {
    return isOrig === this.clientIsOrig;
  }

  /** Append a history letter for a message sent by the `isOrig` side (upper case when that is the client). */
  private addHistory(isOrig: boolean, letter: string): void {
    if (this.history.length >= MAX_SSL_HISTORY_LENGTH) return;
    this.history += this.isClient(isOrig) ? letter.toUpperCase() : letter.toLowerCase();
    if (this.history.length === MAX_SSL_HISTORY_LENGTH) this.ctx.weird("SSL_max_ssl_history_length_reached");
  }

  private readonly onSslV2Hello = (hello: SslV2Message): void => {
    if (hello.kind === "client-hello") this.onSslV2ClientHello(hello.body);
    else this.onSslV2ServerHello(hello.body);
  };

  private onSslV2ClientHello(body: Uint8Array): void {
    const hello = parseSslV2ClientHello(body);
    if (hello instanceof Error) {
      this.violation(`SSLv2 ClientHello: ${hello.message}`);
      return;
    }
    this.startSession();
    this.confirm();
    this.addHistory(true, "c");
    this.noteClientHello(hello);
  }

  private onSslV2ServerHello(body: Uint8Array): void {
    const hello = parseSslV2ServerHello(body);
    if (hello instanceof Error) {
      this.ctx.weird("SSL_truncated_sslv2_server_hello", hello.message);
      this.giveUp();
      return;
    }
    this.startSession();
    this.addHistory(false, "s");
    this.versionNumber = hello.version;
    this.version = versionName(hello.version);
    if (hello.cipherSpec !== undefined) {
      this.cipher = SSLV2_CIPHER_NAMES.get(hello.cipherSpec) ?? `unknown-${hello.cipherSpec}`;
    }
    // Everything after an SSLv2 SERVER-HELLO is SSLv2 framing we do not follow.
    if (hello.version === SSLV2) this.done = true;
  }

  private onFramingProblem(isOrig: boolean, problem: FramingProblem): void {
    if (problem.kind === "record-too-long") {
      this.ctx.weird("SSL_excessive_record_length", String(problem.length));
      this.giveUp();
      return;
    }
    const detail = `content type ${problem.contentType}, version 0x${problem.version.toString(16).padStart(4, "0")}`;
    if (!this.confirmed) this.violation(`not a TLS record header (${detail})`);
    else {
      this.addHistory(isOrig, "q");
      this.ctx.weird("SSL_unknown_content_type", detail);
      this.giveUp();
    }
  }

  private violation(reason: string): void {
    this.ctx.violation(reason);
    this.giveUp();
  }

  private confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirm("ssl");
  }

  /** One complete record; returns false to stop framing this direction. */
  private onRecord(isOrig: boolean, record: TlsRecord): boolean {
    if (this.done) return false;
    const dir = isOrig ? this.orig : this.resp;
    const peer = isOrig ? this.resp : this.orig;
    if (dir.encrypted) {
      if (peer.encrypted && !this.established) {
        this.established = true;
        this.writeLog();
        this.giveUp();
        return false;
      }
      if (record.contentType === CONTENT_CHANGE_CIPHER_SPEC) this.addHistory(isOrig, "i");
      return true;
    }
    this.startSession();
    switch (record.contentType) {
      case CONTENT_HANDSHAKE: {
        dir.handshake.push(record.fragment, dir.handshakeSink);
        break;
      }
      case CONTENT_CHANGE_CIPHER_SPEC:
        this.addHistory(isOrig, "i");
        // In TLS 1.3 the CCS is a middlebox-compatibility no-op (RFC 8446 Appendix D.4): a second,
        // plaintext ClientHello may follow it after a HelloRetryRequest. Protection starts with the
        // server's ServerHello and the client's first application_data record instead.
        if (!isTls13(this.versionNumber)) markEncrypted(dir);
        if (this.isClient(isOrig) && this.clientTicketWithEmptySession && !this.clientKeyExchangeSeen) {
          this.resumed = true;
        }
        break;
      case CONTENT_ALERT:
        for (let i = 0; i + 1 < record.fragment.length; i += 2) {
          this.addHistory(isOrig, "l");
          this.lastAlert = alertName(record.fragment[i + 1]);
        }
        break;
      case CONTENT_HEARTBEAT:
        this.addHistory(isOrig, "b");
        break;
      case CONTENT_APPLICATION_DATA:
        // TLS 1.3: the client's first protected record.
        if (isTls13(this.versionNumber)) {
          markEncrypted(dir);
          if (peer.encrypted && !this.established) {
            this.established = true;
            this.writeLog();
            this.giveUp();
            return false;
          }
        }
        break;
    }
    return !this.done;
  }

  private onHandshake(isOrig: boolean, message: HandshakeMessage): void {
    if (this.done) return;
    switch (message.type) {
      case HANDSHAKE_CLIENT_HELLO:
        if (!this.sawClientHello && !isOrig) {
          // The responder speaks first as a client: roles flip for the rest of the connection.
          this.clientIsOrig = false;
          if (this.history.length < MAX_SSL_HISTORY_LENGTH) this.history += "^";
        }
        this.sawClientHello = true;
        this.addHistory(isOrig, "c");
        this.onClientHello(message.message);
        return;
      case HANDSHAKE_SERVER_HELLO:
        this.onServerHello(isOrig, message.message);
        return;
      case HANDSHAKE_CERTIFICATE:
        this.addHistory(isOrig, "x");
        this.onCertificate(isOrig, message.body);
        return;
      case HANDSHAKE_SERVER_KEY_EXCHANGE:
        this.addHistory(isOrig, "k");
        this.onServerKeyExchange(message.body);
        return;
      case HANDSHAKE_CLIENT_KEY_EXCHANGE:
        this.addHistory(isOrig, "g");
        if (this.isClient(isOrig)) this.clientKeyExchangeSeen = true;
        return;
      default:
        this.addHistory(isOrig, this.historyLetter(message.type));
    }
  }

  private historyLetter(type: number): string {
    return HANDSHAKE_HISTORY_LETTERS.get(type) ?? "z";
  }

  private onClientHello(bytes: Uint8Array): void {
    const hello = parseClientHello(bytes);
    if (hello instanceof Error) {
      if (!this.confirmed) this.violation(hello.message);
      else this.ctx.weird("SSL_malformed_client_hello", hello.message);
      return;
    }
    this.confirm();
    this.noteClientHello(hello);
  }

  private noteClientHello(hello: ClientHello): void {
    this.options.clientHello?.(hello);
    if (hello.malformedExtensions.length > 0) {
      this.ctx.weird(
        "SSL_malformed_extension",
        hello.malformedExtensions.map((t) => `0x${t.toString(16)}`).join(","),
      );
    }
    if (!allZero(hello.sessionId)) {
      this.clientSessionId = hex(hello.sessionId, 0, hello.sessionId.length);
      this.clientTicketWithEmptySession = false;
    } else {
      const ticket = findExtension(hello.extensions, EXT_SESSION_TICKET);
      if (ticket && ticket.data.length > 0) this.clientTicketWithEmptySession = true;
    }
    if (findExtension(hello.extensions, EXT_PRE_SHARED_KEY) !== undefined) this.clientPskSeen = true;
    if (hello.serverNames.length > 0) {
      this.serverName ??= hello.serverNames[0];
      if (hello.serverNames.length > 1) this.ctx.weird("SSL_many_server_names", hello.serverNames.join(","));
    }
    // The first ClientHello of the connection defines the fingerprints (a second one follows a HelloRetryRequest).
    if (this.ja3 === undefined || this.ja4 === undefined) {
      const fingerprints = clientFingerprints(
        hello,
        this.options.ja4Transport ?? "t",
        this.ja3 === undefined,
      );
      this.ja3 ??= fingerprints.ja3;
      this.ja4 ??= fingerprints.ja4;
    }
  }

  private onServerHello(isOrig: boolean, bytes: Uint8Array): void {
    const hello = parseServerHello(bytes);
    if (hello instanceof Error) {
      this.addHistory(isOrig, "s");
      if (!this.confirmed) this.violation(hello.message);
      else this.ctx.weird("SSL_malformed_server_hello", hello.message);
      return;
    }
    this.confirm();
    this.addHistory(isOrig, hello.helloRetryRequest ? "j" : "s");
    this.noteServerHello(hello);
  }

  private noteServerHello(hello: ServerHello): void {
    this.options.serverHello?.(hello);
    const version = negotiatedVersion(hello);
    this.versionNumber = version;
    this.version = versionName(version);
    this.cipher = cipherName(hello.cipherSuite);
    if (hello.keyShareGroup !== undefined) this.curve = groupName(hello.keyShareGroup);
    if (hello.alpn !== undefined) this.nextProtocol = hello.alpn;
    if (!hello.helloRetryRequest || this.ja3s === undefined) this.ja3s = ja3s(hello);
    // Zeek: an echoed session ID means resumption, except in TLS 1.3 (and its drafts), where the
    // legacy session ID is always echoed for middlebox compatibility.
    if (
      this.clientSessionId !== undefined &&
      !isTls13(version) &&
      this.clientSessionId === hex(hello.sessionId, 0, hello.sessionId.length)
    ) {
      this.resumed = true;
    }
    if (this.clientPskSeen && findExtension(hello.extensions, EXT_PRE_SHARED_KEY) !== undefined)
      this.resumed = true;
    // From a TLS 1.3 ServerHello on, the server's records are protected.
    if (isTls13(version) && !hello.helloRetryRequest)
      markEncrypted(this.clientIsOrig ? this.resp : this.orig);
  }

  private onServerKeyExchange(body: Uint8Array): void {
    // Only (EC)DHE suites carry ECParameters; the cipher name tells which layout this message has.
    if (this.cipher === undefined || !this.cipher.includes("ECDH")) return;
    if (body.length >= 3 && body[0] === EC_CURVE_TYPE_NAMED) this.curve = groupName((body[1] << 8) | body[2]);
  }

  private onCertificate(isOrig: boolean, body: Uint8Array): void {
    // TLS ≤ 1.2 Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
    const isClient = this.isClient(isOrig);
    const chain = isClient ? this.clientChain : this.serverChain;
    if (body.length < 3) {
      this.ctx.weird("SSL_truncated_certificate_message");
      return;
    }
    const listLength = (body[0] << 16) | (body[1] << 8) | body[2];
    const end = Math.min(3 + listLength, body.length);
    let offset = 3;
    while (offset + 3 <= end) {
      const length = (body[offset] << 16) | (body[offset + 1] << 8) | body[offset + 2];
      offset += 3;
      if (offset + length > end) {
        this.ctx.weird("SSL_truncated_certificate_message");
        return;
      }
      if (chain.length >= MAX_CERTIFICATES_PER_CHAIN) {
        this.ctx.weird("SSL_certificate_chain_too_long");
        return;
      }
      const certificate = parseCertificate(body.subarray(offset, offset + length));
      if (certificate instanceof Error) this.ctx.weird("x509_certificate_parse_error", certificate.message);
      else {
        chain.push(certificate);
        this.logCertificate(certificate, chain.length === 1, isClient);
      }
      offset += length;
    }
  }

  private logCertificate(cert: X509Info, isHostCertificate: boolean, isClient: boolean): void {
    this.ctx.log("x509", x509Record(cert, this.currentTs, isHostCertificate, isClient));
  }

  /** Build the ssl.log record: Zeek's fields, unset ones omitted (as Zeek's JSON writer does). */
  sslRecord(): LogRecord | undefined {
    // Nothing but protected records (e.g. a capture that starts mid-connection): no TLS event to log.
    if (this.ts === undefined || this.history === "") return undefined;
    const record: LogRecord = { ts: this.ts };
    if (this.version !== undefined) record.version = this.version;
    if (this.cipher !== undefined) record.cipher = this.cipher;
    if (this.curve !== undefined) record.curve = this.curve;
    if (this.serverName !== undefined) record.server_name = this.serverName;
    record.resumed = this.resumed;
    if (this.lastAlert !== undefined) record.last_alert = this.lastAlert;
    if (this.nextProtocol !== undefined) record.next_protocol = this.nextProtocol;
    record.established = this.established;
    record.ssl_history = this.history;
    if (this.serverChain.length > 0 || this.clientChain.length > 0) {
      // Like Zeek, once certificates were seen both chains are logged, the other one possibly empty.
      record.cert_chain_fps = this.serverChain.map((c) => c.fingerprint);
      record.client_cert_chain_fps = this.clientChain.map((c) => c.fingerprint);
    }
    if (this.serverChain.length > 0) {
      record.subject = this.serverChain[0].subject;
      record.issuer = this.serverChain[0].issuer;
      if (this.serverName !== undefined)
        record.sni_matches_cert = hostMatchesCertificate(this.serverName, this.serverChain[0]);
    }
    if (this.clientChain.length > 0) {
      record.client_subject = this.clientChain[0].subject;
      record.client_issuer = this.clientChain[0].issuer;
    }
    if (this.ja3 !== undefined) record.ja3 = this.ja3;
    if (this.ja3s !== undefined) record.ja3s = this.ja3s;
    if (this.ja4 !== undefined) record.ja4 = this.ja4;
    return record;
  }

  private writeLog(): void {
    if (this.logged) return;
    const record = this.sslRecord();
    if (record === undefined) return;
    this.logged = true;
    this.ctx.log("ssl", record);
  }
}
