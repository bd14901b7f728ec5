// The per-connection QUIC analyzer: walks the packets of each datagram, decrypts client and server
// Initial packets with the version's public keys, reassembles their CRYPTO streams and writes one
// quic.log record per QUIC session, following Zeek's QUIC analyzer and base/protocols/quic scripts.
import { hex, isHexOf } from "../../text/bytes.js";
import type { ClientHello } from "../tls/index.js";
import type { AnalyzerContext, DatagramAnalyzer } from "../types.js";
import { CryptoStreamAssembler } from "./crypto-stream.js";
import { QuicDecryptError } from "./errors.js";
import { type FrameHandler, walkInitialFrames } from "./frames.js";
import { GQUIC_CID_OFFSET, gquicVersionAt, gquicVersionOffset, readChlo } from "./gquic.js";
import { initialExtract, keysFromExtract } from "./initial-keys.js";
import {
  FIXED_BIT,
  HEADER_FORM_LONG,
  MAX_CONNECTION_ID_LENGTH,
  newLongHeader,
  parseLongHeader,
  versionAt,
} from "./long-header.js";
import { InitialOpener } from "./packet-protection.js";
import { QuicSession } from "./session.js";
import { SslBridge, type StreamAnalyzerMaker } from "./ssl-bridge.js";
import { HANDSHAKE_CLIENT_HELLO, HANDSHAKE_SERVER_HELLO, type HelloInspectors } from "./types.js";
import {
  LongPacketType,
  type QuicVersionInfo,
  quicVersionInfo,
  quicVersionName,
  trialInitialVersions,
} from "./versions.js";

/** Zeek's QUIC::max_discarded_packet_events: X letters stop after this many discarded packets. */
const MAX_DISCARDED_PACKET_EVENTS = 100;
/** gQUIC client packets with a version flag we look at for a CHLO before giving up. */
const MAX_GQUIC_CLIENT_PACKETS = 4;
/**
 * Initial packets we try to decrypt per direction. A real hello needs a handful; a flood of
 * undecryptable or never-completing Initials must not cost AES work forever.
 */
export const MAX_INITIAL_DECRYPTIONS = 64;
/**
 * RFC 9000 §14.1: a client pads every datagram carrying an Initial to 1200 bytes, and versions
 * derived from it do too. A long header of a version we do not know, sent by the originator in a
 * datagram this large, is taken for QUIC (service confirmed); a shorter one is not (random UDP
 * payload on port 443 fits the header invariants often enough).
 */
const MIN_CLIENT_INITIAL_DATAGRAM = 1200;
/**
 * RFC 9000 §7.2: a client's first Initial carries an unpredictable Destination Connection ID of at
 * least 8 bytes. Padded non-QUIC payload on port 443 (DNSCrypt's padded queries) can look like a
 * long header; its "DCID" is rarely this long.
 */
const MIN_CLIENT_INITIAL_DCID = 8;
/** Short-header packets are noted in history at counts 1, 2, 4, 8, … per direction (Zeek). */
const SHORT_HEADER_THRESHOLD_BASE = 2;

function isKnownVersionAt(bytes: Uint8Array, pos: number): boolean {
  if (pos + 5 > bytes.length) return false;
  const version =
    ((bytes[pos + 1] << 24) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 8) | bytes[pos + 4]) >>> 0;
  return quicVersionInfo(version) !== undefined;
}

interface QuicAnalyzerOptions {
  /** Zeek's QUIC::max_history_length (default 100). */
  readonly maxHistoryLength?: number;
  /** Makes the TLS analyzer that writes ssl.log from the hellos (Zeek does); none: no ssl.log. */
  readonly sslAnalyzer?: StreamAnalyzerMaker;
}

/** Decryption state of one direction's Initial packets. */
interface DirectionCrypto {
  opener: InitialOpener | undefined;
  stream: CryptoStreamAssembler;
  attempts: number;
  /** Receives the direction's decrypted frames; made on the first decrypted packet. */
  handler: FrameHandler | undefined;
}

const freshDirection = (): DirectionCrypto => ({
  opener: undefined,
  stream: new CryptoStreamAssembler(),
  attempts: 0,
  handler: undefined,
});

export class QuicAnalyzer implements DatagramAnalyzer {
  private session: QuicSession | undefined;
  private readonly header = newLongHeader();
  /** The client's first Initial DCID: the input of both directions' Initial keys. */
  private initialDcid: Buffer | undefined;
  /** HKDF-Extract of the initial DCID under `extractVersion`'s salt (undefined: no salt). */
  private extract: Buffer | undefined;
  private extractVersion: QuicVersionInfo | undefined;
  private client = freshDirection();
  private server = freshDirection();
  private totalDecrypted = 0;
  private totalDiscarded = 0;
  private readonly shortTotal = [0, 0];
  private readonly shortNextThreshold = [1, 1];
  private confirmed = false;
  /** Decided by the first client packet: IETF QUIC, or Google QUIC's public-header format. */
  private flavour: "undecided" | "ietf" | "gquic" = "undecided";
  private gquicClientPackets = 0;
  private gquicChloSeen = false;
  private ssl: SslBridge | undefined;
  private lastTs = 0;
  private unsupportedVersionReported = false;
  /** A version without a salt of its own whose client Initial a public salt decrypted (-1: none). */
  private assumedVersion = -1;
  private assumedInfo: QuicVersionInfo | undefined;
  /** The version salts were last tried for: once per version and connection (-1: none yet). */
  private triedVersion = -1;
  /** An unknown version has been logged (`U`): later datagrams of one are not logged again. */
  private unknownVersionLogged = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly inspect: HelloInspectors,
    private readonly options: QuicAnalyzerOptions = {},
  ) {}

  packet(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    this.lastTs = ts;
    try {
      if (this.flavour === "undecided" && bytes.length > 0) {
        this.flavour = isOrig && gquicVersionOffset(bytes) >= 0 ? "gquic" : "ietf";
      }
      if (this.flavour === "gquic") this.gquicPacket(isOrig, bytes, ts);
      else this.walkDatagram(isOrig, bytes, ts);
    } catch (error) {
      // Defensive: a bug here must cost one datagram, never the sensor.
      this.ctx.weird("QUIC_analyzer_error", error instanceof Error ? error.message : String(error));
    }
  }

  end(ts: number): void {
    this.flush();
    this.ssl?.end(ts);
    this.ssl = undefined;
  }

  private walkDatagram(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    let pos = 0;
    while (pos < bytes.length) {
      const first = bytes[pos];
      const long = (first & HEADER_FORM_LONG) !== 0;
      // RFC 9287 lets endpoints grease the fixed bit; a long header naming a version we know is
      // still QUIC. Zeek discards such packets; we parse them (documented deviation).
      if ((first & FIXED_BIT) === 0 && !(long && isKnownVersionAt(bytes, pos))) {
        this.discarded(isOrig);
        return; // Zeek consumes the rest of the datagram (usually zero padding after the packets).
      }
      if (!long) {
        this.shortHeader(isOrig);
        return; // a short-header packet always runs to the end of the datagram
      }
      const header = this.header;
      let problem = parseLongHeader(bytes, pos, header, this.assumedFor(bytes, pos));
      if (problem === undefined && header.info?.salt === undefined && header.version !== 0) {
        // No salt of its own: a public one may still fit (trialInitialVersions); try it once. The
        // trial leaves its last candidate in the header, so the header is read again either way.
        const found = this.trySalts(isOrig, bytes, pos);
        problem = parseLongHeader(bytes, pos, header, found ? this.assumedInfo : undefined);
      }
      if (problem !== undefined && problem !== "QUIC_packet_too_short_for_sample") {
        this.malformed(problem);
        return;
      }
      if (header.info === undefined) {
        this.unhandledVersion(isOrig, bytes, ts);
        return;
      }
      switch (header.type) {
        case LongPacketType.Retry:
          this.retry(isOrig, bytes, ts);
          return;
        case LongPacketType.Initial:
          this.setSession(isOrig, bytes, ts);
          this.addHistory(isOrig, "I");
          if (problem !== undefined) this.ctx.weird(problem);
          else this.decryptInitial(isOrig, bytes);
          break;
        case LongPacketType.Handshake:
          this.setSession(isOrig, bytes, ts);
          this.addHistory(isOrig, "H");
          break;
        case LongPacketType.ZeroRtt:
          this.setSession(isOrig, bytes, ts);
          this.addHistory(isOrig, "Z");
          break;
      }
      pos = header.end;
    }
  }

  /**
   * Google QUIC: note each client packet that carries the version (history I) and read the SNI from
   * the first plaintext CHLO (history S). Server packets carry nothing we can read.
   */
  private gquicPacket(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (!isOrig || this.gquicClientPackets >= MAX_GQUIC_CLIENT_PACKETS) return;
    const versionOffset = gquicVersionOffset(bytes);
    if (versionOffset < 0) return;
    this.gquicClientPackets++;
    if (this.session === undefined) {
      this.session = new QuicSession(ts, gquicVersionAt(bytes, versionOffset), this.options.maxHistoryLength);
      const cidLength = versionOffset - GQUIC_CID_OFFSET;
      if (cidLength > 0)
        this.session.clientInitialDcid = hex(bytes, GQUIC_CID_OFFSET, GQUIC_CID_OFFSET + cidLength);
    }
    this.addHistory(true, "I");
    if (this.gquicChloSeen) return;
    const chlo = readChlo(bytes, versionOffset);
    if (!chlo.found) return;
    this.gquicChloSeen = true;
    if (chlo.problem !== undefined) {
      this.ctx.weird("QUIC_gquic_chlo_malformed", chlo.problem);
      return;
    }
    this.addHistory(true, "S");
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm("quic");
    }
    if (chlo.serverName !== undefined) this.session.serverName = chlo.serverName;
  }

  private setSession(isOrig: boolean, bytes: Uint8Array, ts: number): QuicSession {
    const h = this.header;
    if (this.session === undefined)
      this.session = new QuicSession(ts, quicVersionName(h.version), this.options.maxHistoryLength);
    const s = this.session;
    // Zeek re-sets the SCIDs on every long-header packet; comparing in place (isHexOf) avoids a
    // new string per Handshake packet.
    if (isOrig) {
      if (h.dcidLength > 0 && s.clientInitialDcid === undefined) {
        s.clientInitialDcid = hex(bytes, h.dcidOffset, h.dcidOffset + h.dcidLength);
      }
      if (!isHexOf(s.clientScid, bytes, h.scidOffset, h.scidOffset + h.scidLength)) {
        s.clientScid = hex(bytes, h.scidOffset, h.scidOffset + h.scidLength);
      }
    } else if (!isHexOf(s.serverScid, bytes, h.scidOffset, h.scidOffset + h.scidLength)) {
      s.serverScid = hex(bytes, h.scidOffset, h.scidOffset + h.scidLength);
    }
    return s;
  }

  private addHistory(isOrig: boolean, letter: string): void {
    if (this.session?.addHistory(isOrig, letter) === "reached") {
      this.ctx.weird("QUIC_max_history_length_reached");
    }
  }

  private discarded(isOrig: boolean): void {
    this.totalDiscarded++;
    if (this.totalDecrypted === 0 || this.totalDiscarded > MAX_DISCARDED_PACKET_EVENTS) return;
    // After an unreadable version's `U` record there is no session by design: nothing spurious.
    if (this.session === undefined) {
      if (!this.unknownVersionLogged) this.ctx.weird("QUIC_spurious_discarded_packet");
    } else this.addHistory(isOrig, "X");
  }

  private shortHeader(isOrig: boolean): void {
    const d = isOrig ? 0 : 1;
    this.shortTotal[d]++;
    if (this.shortTotal[d] !== this.shortNextThreshold[d]) return;
    this.shortNextThreshold[d] *= SHORT_HEADER_THRESHOLD_BASE;
    if (this.session === undefined) {
      if (!this.unknownVersionLogged)
        this.ctx.weird("QUIC_spurious_short_packet_threshold_crossed", String(this.shortTotal[d]));
    } else {
      this.addHistory(isOrig, "O");
    }
  }

  private malformed(problem: string): void {
    this.ctx.weird(problem);
    // Before anything decrypted, a malformed first packet means this is not QUIC at all.
    if (!this.confirmed) this.ctx.violation(`QUIC: ${problem}`);
  }

  /** How to read the long header at `pos` if its version is the one a trial decrypted. */
  private assumedFor(bytes: Uint8Array, pos: number): QuicVersionInfo | undefined {
    return this.assumedInfo !== undefined &&
      pos + 5 <= bytes.length &&
      versionAt(bytes, pos) === this.assumedVersion
      ? this.assumedInfo
      : undefined;
  }

  /**
   * The first client Initial (v1 layout) of a version without a salt of its own: try the public
   * salts and keep the one whose AEAD tag verifies. Once per version and connection, and only on a
   * padded client datagram, so it costs at most a few failed decryptions per connection.
   */
  private trySalts(isOrig: boolean, bytes: Uint8Array, pos: number): boolean {
    const h = this.header;
    if (!isOrig || h.version === this.triedVersion || bytes.length < MIN_CLIENT_INITIAL_DATAGRAM)
      return false;
    if (h.dcidLength < MIN_CLIENT_INITIAL_DCID || h.dcidLength > MAX_CONNECTION_ID_LENGTH) return false;
    this.triedVersion = h.version;
    for (const candidate of trialInitialVersions(h.version)) {
      if (parseLongHeader(bytes, pos, h, candidate) !== undefined) return false;
      if (h.type !== LongPacketType.Initial) return false;
      const dcid = bytes.subarray(h.dcidOffset, h.dcidOffset + h.dcidLength);
      const extract = initialExtract(candidate, dcid);
      const keys = extract === undefined ? undefined : keysFromExtract(candidate, extract, true);
      if (keys === undefined) continue;
      try {
        new InitialOpener(keys).open(bytes, h);
      } catch (error) {
        if (error instanceof QuicDecryptError) continue;
        throw error;
      }
      this.assumedVersion = h.version;
      this.assumedInfo = candidate;
      return true;
    }
    return false;
  }

  /**
   * Zeek logs a session with an unknown version as one record with a `U` and starts afresh. We log
   * the first such packet of a connection only (later ones would each make a record), and keep
   * reading: a client that forced version negotiation goes on with a version we know.
   */
  private unhandledVersion(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.unknownVersionLogged) return;
    this.unknownVersionLogged = true;
    if (this.session === undefined) this.setSession(isOrig, bytes, ts);
    this.addHistory(isOrig, "U");
    this.flush();
    this.session = undefined;
    if (this.confirmed) return;
    // A padded client datagram whose long header is well-formed and starts a connection as RFC 9000
    // requires (DCID of 8 to 20 bytes) is QUIC of a version we cannot read.
    const h = this.header;
    if (
      isOrig &&
      h.version !== 0 &&
      h.dcidLength >= MIN_CLIENT_INITIAL_DCID &&
      h.dcidLength <= MAX_CONNECTION_ID_LENGTH &&
      h.scidLength <= MAX_CONNECTION_ID_LENGTH &&
      bytes.length >= MIN_CLIENT_INITIAL_DATAGRAM
    ) {
      this.confirmed = true;
      this.ctx.confirm("quic");
      return;
    }
    // Like Zeek's parse error on an unhandled version: nothing decrypted yet, so stop analysing.
    this.ctx.violation(`QUIC: unhandled version ${quicVersionName(this.header.version)}`);
  }

  /** A Retry ends the record and restarts key derivation from the client's next DCID. */
  private retry(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.session === undefined) this.setSession(isOrig, bytes, ts);
    this.addHistory(isOrig, "R");
    this.flush();
    this.session = undefined;
    // Zeek closes its SSL analyzer here too: the client starts a new handshake after a Retry.
    this.ssl?.end(ts);
    this.ssl = undefined;
    this.initialDcid = undefined;
    this.extract = undefined;
    this.extractVersion = undefined;
    this.client = freshDirection();
    this.server = freshDirection();
  }

  private flush(): void {
    if (this.session === undefined) return;
    this.ctx.log("quic", this.session.toRecord());
    this.session = undefined;
  }

  private decryptInitial(isOrig: boolean, bytes: Uint8Array): void {
    const h = this.header;
    const direction = isOrig ? this.client : this.server;
    // Once the direction's hello is complete (or given up on) there is nothing left to learn.
    if (direction.stream.result !== "pending") return;
    if (isOrig && this.initialDcid === undefined) {
      this.initialDcid = Buffer.from(bytes.subarray(h.dcidOffset, h.dcidOffset + h.dcidLength));
    }
    if (this.initialDcid === undefined || h.info === undefined) return; // server first: no keys
    if (direction.opener === undefined) {
      // Both directions' secrets start from the same extract of (salt, client DCID).
      if (this.extractVersion !== h.info) {
        this.extractVersion = h.info;
        this.extract = initialExtract(h.info, this.initialDcid);
      }
      const keys = this.extract === undefined ? undefined : keysFromExtract(h.info, this.extract, isOrig);
      if (keys === undefined) {
        if (!this.unsupportedVersionReported) {
          this.ctx.weird("QUIC_initial_keys_unknown_for_version", quicVersionName(h.version));
          this.unsupportedVersionReported = true;
        }
        return;
      }
      direction.opener = new InitialOpener(keys);
    }
    if (++direction.attempts > MAX_INITIAL_DECRYPTIONS) {
      if (direction.attempts === MAX_INITIAL_DECRYPTIONS + 1) {
        this.ctx.weird("QUIC_initial_decryption_limit", `${isOrig ? "client" : "server"} hello incomplete`);
      }
      return;
    }
    let payload: Uint8Array;
    try {
      payload = direction.opener.open(bytes, h).payload;
    } catch (error) {
      const detail = error instanceof QuicDecryptError ? error.message : String(error);
      this.ctx.weird("QUIC_decryption_failed", `${isOrig ? "client" : "server"} Initial: ${detail}`);
      return;
    }
    this.totalDecrypted++;
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm("quic");
    }
    direction.handler ??= this.frameHandler(isOrig, direction);
    const problem = walkInitialFrames(payload, direction.handler);
    if (problem !== undefined) this.ctx.weird(problem);
    // Done with this direction: free the keys, cipher and reassembly buffer for the connection's rest.
    if (direction.stream.result !== "pending") {
      direction.opener = undefined;
      direction.stream.release();
    }
  }

  private frameHandler(isOrig: boolean, direction: DirectionCrypto): FrameHandler {
    return {
      crypto: (offset, data) => {
        const before = direction.stream.result;
        const after = direction.stream.add(offset, data);
        if (before !== "pending") return;
        if (after === "complete") this.helloComplete(isOrig, direction.stream.message());
        else if (after !== "pending") this.ctx.weird(`QUIC_crypto_stream_${after}`);
      },
      connectionClose: () => {
        // Zeek only reacts to the transport-level CONNECTION_CLOSE in Initial packets.
        if (this.session === undefined) return;
        this.addHistory(isOrig, "C");
        this.flush();
      },
    };
  }

  private helloComplete(isOrig: boolean, message: Uint8Array | undefined): void {
    if (message === undefined) return;
    const expected = isOrig ? HANDSHAKE_CLIENT_HELLO : HANDSHAKE_SERVER_HELLO;
    if (message[0] !== expected) {
      this.ctx.weird("QUIC_unexpected_handshake_message", `type ${message[0]}`);
      return;
    }
    // The TLS analyzer (when ssl.log is written) parses the hello first; what it parsed is reused.
    let parsedClientHello: ClientHello | undefined;
    let serverHelloParsed = false;
    if (this.options.sslAnalyzer !== undefined) {
      this.ssl ??= new SslBridge(this.ctx, this.options.sslAnalyzer);
      this.ssl.hello(isOrig, message, this.lastTs);
      parsedClientHello = this.ssl.clientHelloParsed();
      serverHelloParsed = this.ssl.serverHelloParsed();
    }
    if (!isOrig) {
      const problem = serverHelloParsed ? undefined : this.inspect.server(message);
      if (problem === undefined) this.addHistory(false, "S");
      else this.ctx.weird("QUIC_server_hello_unparsed", problem);
      return;
    }
    const facts =
      parsedClientHello !== undefined && this.inspect.clientParsed !== undefined
        ? this.inspect.clientParsed(parsedClientHello)
        : this.inspect.client(message);
    if (typeof facts === "string") {
      this.ctx.weird("QUIC_client_hello_unparsed", facts);
      return;
    }
    this.addHistory(true, "S");
    this.ctx.confirm("ssl");
    const s = this.session;
    if (s === undefined) return;
    if (facts.serverName !== undefined) s.serverName = facts.serverName;
    if (facts.alpn.length > 0) {
      s.clientProtocol = facts.alpn[0];
      if (facts.alpn.length > 1) this.ctx.weird("QUIC_many_protocols", facts.alpn.join(","));
    }
    if (facts.ja4 !== undefined) s.ja4 = facts.ja4;
  }
}
