// SSH analyzer for one connection: banners, KEXINIT negotiation, host key fingerprint, HASSH and
// Zeek's packet-size heuristic for authentication success; one ssh.log record per connection.

import type { AnalyzerContext, LogRecord, StreamAnalyzer } from "../types.js";
import { SshDirection } from "./direction.js";
import {
  type Hassh,
  hassh,
  hostKeyFingerprint,
  type KexInit,
  negotiate,
  negotiateBothWays,
  PayloadReader,
  parseKexInit,
} from "./kexinit.js";
import { sshVersion } from "./version.js";

const MSG_KEXINIT = 20;
/** KEXDH_REPLY / KEX_ECDH_REPLY (RFC 4253 §8, RFC 5656 §4): host key first. */
const MSG_KEX_REPLY = 31;
/** KEX_DH_GEX_REPLY (RFC 4419 §3); in group exchange, 31 is the group message instead. */
const MSG_KEX_GEX_REPLY = 33;
/** Zeek cannot judge authentication by packet sizes when the stream is compressed. */
const COMPRESSION_ALGORITHMS = new Set(["zlib", "zlib@openssh.com"]);
const HASSH_VERSION = "1.1";

interface Negotiated {
  cipher_alg: string;
  mac_alg: string;
  compression_alg: string;
  kex_alg: string;
  host_key_alg: string;
}

/** Zeek's SSH_Analyzer::ProcessEncrypted state, judged on the sizes of encrypted segments. */
class AuthHeuristic {
  decided = false;
  private sawClientData = false;
  private serviceAcceptSize = 0;
  private userauthFailureSize = 0;
  private skippedBanner = false;

  /** Returns true/false for an authentication attempt outcome, undefined when nothing is learned. */
  segment(isOrig: boolean, length: number): boolean | undefined {
    if (this.decided) return undefined;
    if (isOrig) {
      this.sawClientData = true;
      return undefined;
    }
    if (!this.sawClientData) return undefined;
    // SERVICE_ACCEPT is the server's first encrypted message after the client's SERVICE_REQUEST.
    if (this.serviceAcceptSize === 0) {
      this.serviceAcceptSize = length;
      return undefined;
    }
    // USERAUTH_SUCCESS is 16 bytes shorter than SERVICE_ACCEPT once padded and MAC'd.
    if (this.userauthFailureSize === 0 && length + 16 === this.serviceAcceptSize) {
      this.decided = true;
      return true;
    }
    if (this.userauthFailureSize === 0) {
      // A much larger packet is a pre-auth banner, not a USERAUTH_FAILURE.
      if (!this.skippedBanner && length - this.serviceAcceptSize > 256) {
        this.skippedBanner = true;
        return undefined;
      }
      this.userauthFailureSize = length;
      return undefined;
    }
    if (length === this.userauthFailureSize) return false;
    if (length - this.serviceAcceptSize === -16) {
      this.decided = true;
      return true;
    }
    return undefined;
  }
}

export class SshAnalyzer implements StreamAnalyzer {
  private readonly orig: SshDirection;
  private readonly resp: SshDirection;
  private ts?: number;
  private client?: string;
  private server?: string;
  private version?: 1 | 2;
  private clientKex?: KexInit;
  private serverKex?: KexInit;
  private clientHassh?: Hassh;
  private serverHassh?: Hassh;
  private negotiated?: Negotiated;
  private fingerprint?: string;
  private authSuccess?: boolean;
  private authAttempts = 0;
  private readonly auth = new AuthHeuristic();
  private hadGap = false;
  private logged = false;
  private confirmed = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.orig = this.direction(true);
    this.resp = this.direction(false);
  }

  data(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.hadGap) return;
    const direction = isOrig ? this.orig : this.resp;
    // After NEWKEYS only delivery sizes matter, and most deliveries come after it: straight to
    // the heuristic (what the direction's encryptedSegment event would do).
    if (direction.encrypted) {
      this.onEncrypted(isOrig, bytes.length);
      return;
    }
    direction.data(bytes, ts);
  }

  /** Like Zeek, a content gap ends analysis: the record keeps what was learned before it. */
  gap(_isOrig: boolean, _length: number, _ts: number): void {
    this.hadGap = true;
    this.orig.stop();
    this.resp.stop();
  }

  end(_ts: number): void {
    this.writeLog();
  }

  private direction(isOrig: boolean): SshDirection {
    return new SshDirection(
      {
        banner: (line, ts) => this.onBanner(isOrig, line, ts),
        packet: (payload) => this.onPacket(isOrig, payload),
        encryptedSegment: (length) => this.onEncrypted(isOrig, length),
        broken: (weird, reason) => {
          // A 1.99 side whose peer turned out (or may turn out) to speak SSH-1 sends SSH-1 packets.
          if (this.version !== 2 && (isOrig ? this.client : this.server)?.startsWith("SSH-1.")) return;
          if (this.confirmed) this.ctx.weird(weird, reason);
          else this.ctx.violation(reason);
        },
      },
      !isOrig,
    );
  }

  private onBanner(isOrig: boolean, line: string, ts: number): void {
    this.ts ??= ts;
    if (isOrig) this.client = line;
    else this.server = line;
    // An SSH-1-only side (1.x, not 1.99) sends SSH-1 packets, which have another layout.
    if (/^SSH-1\.(?!99)/.test(line)) (isOrig ? this.orig : this.resp).stop();
    if (!this.confirmed && /^SSH-\d+\.\d+-/.test(line)) {
      this.confirmed = true;
      this.ctx.confirm("ssh");
    }
    if (this.client === undefined || this.server === undefined) return;
    const verdict = sshVersion(this.client, this.server);
    this.version = verdict.version;
    if (verdict.version === undefined && verdict.problem) {
      this.ctx.weird(verdict.problem, `${this.server} vs ${this.client}`);
    }
    // SSH-1 packets have another layout and carry nothing http.log-like we log: stop there.
    if (verdict.version === 1) {
      this.orig.stop();
      this.resp.stop();
    }
  }

  private onPacket(isOrig: boolean, payload: Uint8Array): void {
    const type = payload[0];
    try {
      if (type === MSG_KEXINIT) this.onKexInit(isOrig, parseKexInit(payload));
      else if (!isOrig && (type === MSG_KEX_REPLY || type === MSG_KEX_GEX_REPLY))
        this.onKexReply(type, payload);
    } catch (error) {
      this.ctx.weird("ssh_malformed_packet", `message ${type}: ${(error as Error).message}`);
    }
  }

  private onKexInit(isOrig: boolean, kexinit: KexInit): void {
    if (isOrig) {
      this.clientKex ??= kexinit;
      this.clientHassh ??= hassh(kexinit, false);
    } else {
      this.serverKex ??= kexinit;
      this.serverHassh ??= hassh(kexinit, true);
    }
    const c = this.clientKex;
    const s = this.serverKex;
    if (!c || !s || this.negotiated) return;
    this.negotiated = {
      cipher_alg: negotiateBothWays(
        [c.cipherClientToServer, s.cipherClientToServer],
        [c.cipherServerToClient, s.cipherServerToClient],
      ),
      mac_alg: negotiateBothWays(
        [c.macClientToServer, s.macClientToServer],
        [c.macServerToClient, s.macServerToClient],
      ),
      compression_alg: negotiateBothWays(
        [c.compressionClientToServer, s.compressionClientToServer],
        [c.compressionServerToClient, s.compressionServerToClient],
      ),
      kex_alg: negotiate(c.kex, s.kex),
      host_key_alg: negotiate(c.hostKey, s.hostKey),
    };
  }

  private onKexReply(type: number, payload: Uint8Array): void {
    if (this.fingerprint || !this.negotiated) return;
    const groupExchange = this.negotiated.kex_alg.includes("group-exchange");
    if (type !== (groupExchange ? MSG_KEX_GEX_REPLY : MSG_KEX_REPLY)) return;
    // GSS-API key exchange replies carry no host key in this position.
    if (this.negotiated.kex_alg.startsWith("gss-")) return;
    const hostKey = new PayloadReader(payload, 1).bytes();
    if (hostKey.length > 0) this.fingerprint = hostKeyFingerprint(hostKey);
  }

  private onEncrypted(isOrig: boolean, length: number): void {
    if (this.version !== 2) return;
    const outcome = this.auth.segment(isOrig, length);
    if (outcome === undefined || this.authSuccess === true) return;
    const compression = this.negotiated?.compression_alg;
    if (compression !== undefined && COMPRESSION_ALGORITHMS.has(compression)) return;
    this.authSuccess = outcome;
    this.authAttempts++;
    if (outcome) {
      // Zeek logs a success at once and stops looking at the encrypted stream.
      this.writeLog();
      this.orig.stop();
      this.resp.stop();
    }
  }

  private writeLog(): void {
    if (this.logged || this.ts === undefined) return;
    this.logged = true;
    const record: LogRecord = { ts: this.ts };
    const set = (key: string, value: unknown): void => {
      if (value !== undefined) record[key] = value;
    };
    set("version", this.version);
    set("auth_success", this.authSuccess);
    record.auth_attempts = this.authAttempts;
    set("client", this.client);
    set("server", this.server);
    if (this.negotiated) Object.assign(record, this.negotiated);
    set("host_key_fingerprint", this.fingerprint);
    if (this.clientHassh || this.serverHassh) record.hasshVersion = HASSH_VERSION;
    set("hassh", this.clientHassh?.hash);
    set("hasshAlgorithms", this.clientHassh?.algorithms);
    set("hasshServer", this.serverHassh?.hash);
    set("hasshServerAlgorithms", this.serverHassh?.algorithms);
    this.ctx.log("ssh", record);
  }
}
