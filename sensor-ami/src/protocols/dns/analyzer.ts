// Glue between the engine's analyzer contract and the DNS parser/session tracker.

import type { AnalyzerContext } from "../types.js";
import { DNS_HEADER_LENGTH, MAX_QUESTIONS, MAX_TCP_MESSAGE } from "./constants.js";
import { parseDnsMessage } from "./parser.js";
import { takeProbedParse } from "./probe.js";
import { DnsSessions } from "./session.js";
import type { DnsParseOptions } from "./types.js";

/** Parse options are constant per connection state: no options object per message. */
const DNS_OPTIONS: DnsParseOptions = { netbios: false };
const NETBIOS_OPTIONS: DnsParseOptions = { netbios: true };

/** Parses one complete DNS message and feeds the session tracker; shared by UDP and TCP. */
class DnsMessageHandler {
  private readonly sessions: DnsSessions;
  private confirmed = false;
  /** NBNS is sticky per connection: answers carry no question to recognise it by. */
  private netbios = false;
  private options: DnsParseOptions = DNS_OPTIONS;
  private firstMessage = true;

  constructor(
    private readonly ctx: AnalyzerContext,
    proto: "udp" | "tcp",
  ) {
    this.sessions = new DnsSessions(proto, (record) => ctx.log("dns", record));
  }

  handle(bytes: Uint8Array, ts: number): void {
    try {
      this.process(bytes, ts);
    } catch (cause) {
      // Last line of defence for a bug in session tracking: the engine must keep running.
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.ctx.weird("DNS_analyzer_internal_error", reason);
      this.ctx.violation(`internal DNS analyzer error: ${reason}`);
    }
  }

  private process(bytes: Uint8Array, ts: number): void {
    // The first message is usually the one the probe just parsed (with the same default options).
    const parsed =
      (!this.netbios && this.firstMessage && takeProbedParse(bytes)) || parseDnsMessage(bytes, this.options);
    this.firstMessage = false;
    const weirds = parsed.ok ? parsed.message.weirds : parsed.weirds;
    for (let index = 0; index < weirds.length; index++)
      this.ctx.weird(weirds[index].name, weirds[index].addl);
    if (!parsed.ok) {
      this.fail(parsed.error);
      return;
    }
    const { message } = parsed;
    if (message.netbios && !this.netbios) {
      this.netbios = true;
      this.options = NETBIOS_OPTIONS;
    }
    if (message.qdcount > MAX_QUESTIONS) {
      this.ctx.violation(`DNS_Conn_count_too_large: ${message.qdcount} questions`);
      return;
    }
    // Zeek confirms once questions and answers parsed; weirds in later sections do not matter.
    const answersParsed = message.complete || message.records.length >= message.ancount;
    if (answersParsed && message.questions.length === message.qdcount && !this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm("dns");
    }
    this.sessions.message(message, ts);
  }

  end(): void {
    this.sessions.flush();
  }

  private fail(reason: string): void {
    // Before confirmation an unparseable message means "not DNS"; after it, weirds are enough.
    if (!this.confirmed) this.ctx.violation(reason);
  }
}

/**
 * Zeek flips a connection's roles when its first DNS message from the originator is a response
 * (the host refuses when the responder is broadcast or multicast, or the packet is not the first).
 */
export function dnsFirstPayloadIsResponse(bytes: Uint8Array): boolean {
  return bytes.length >= DNS_HEADER_LENGTH && (bytes[2] & 0x80) !== 0;
}

export class DnsDatagramAnalyzer {
  private readonly handler: DnsMessageHandler;
  private firstPacket = true;

  constructor(private readonly ctx: AnalyzerContext) {
    this.handler = new DnsMessageHandler(ctx, "udp");
  }

  packet(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.firstPacket) {
      this.firstPacket = false;
      if (isOrig && dnsFirstPayloadIsResponse(bytes)) this.ctx.flipRoles?.();
    }
    this.handler.handle(bytes, ts);
  }

  end(_ts: number): void {
    this.handler.end();
  }
}

/** Reassembles one direction's 2-byte length-prefixed messages across arbitrary chunk boundaries. */
export class DnsTcpFramer {
  private prefix = 0;
  private prefixBytes = 0;
  /** Length of the message being collected, or -1 while reading a length prefix. */
  private expected = -1;
  private filled = 0;
  private buffer: Uint8Array | undefined;
  /** After a content gap the framing is unknowable: the direction is abandoned. */
  private lost = false;

  constructor(private readonly deliver: (message: Uint8Array) => void) {}

  feed(bytes: Uint8Array): void {
    if (this.lost) return;
    let offset = 0;
    while (offset < bytes.length) {
      if (this.expected < 0) {
        if (this.prefixBytes === 0 && bytes.length - offset >= 2) {
          const length = (bytes[offset] << 8) | bytes[offset + 1];
          offset += 2;
          if (bytes.length - offset >= length) {
            // Whole message inside this chunk: parse in place, no copy.
            this.deliver(bytes.subarray(offset, offset + length));
            offset += length;
            continue;
          }
          this.begin(length);
          continue;
        }
        this.prefix = (this.prefix << 8) | bytes[offset++];
        if (++this.prefixBytes === 2) {
          const length = this.prefix & MAX_TCP_MESSAGE;
          this.prefix = 0;
          this.prefixBytes = 0;
          if (length === 0) this.deliver(bytes.subarray(0, 0));
          else this.begin(length);
        }
        continue;
      }
      const buffer = this.buffer!;
      const take = Math.min(this.expected - this.filled, bytes.length - offset);
      buffer.set(bytes.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.expected) {
        this.expected = -1;
        this.deliver(buffer.subarray(0, this.filled));
      }
    }
  }

  gap(): void {
    this.lost = true;
    this.expected = -1;
    this.buffer = undefined;
  }

  private begin(length: number): void {
    this.expected = length;
    this.filled = 0;
    if (!this.buffer || this.buffer.length < length) this.buffer = new Uint8Array(length);
  }
}

export class DnsStreamAnalyzer {
  private readonly handler: DnsMessageHandler;
  private readonly framers: [DnsTcpFramer, DnsTcpFramer];
  private ts = 0;

  constructor(ctx: AnalyzerContext) {
    this.handler = new DnsMessageHandler(ctx, "tcp");
    const deliver = (message: Uint8Array) => this.handler.handle(message, this.ts);
    this.framers = [new DnsTcpFramer(deliver), new DnsTcpFramer(deliver)];
  }

  data(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    this.ts = ts;
    this.framers[isOrig ? 0 : 1].feed(bytes);
  }

  gap(isOrig: boolean, _length: number, _ts: number): void {
    this.framers[isOrig ? 0 : 1].gap();
  }

  end(_ts: number): void {
    this.handler.end();
  }
}
