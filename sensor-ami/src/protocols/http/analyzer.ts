// HTTP/1.x analyzer for one connection: pairs requests with responses (pipelining and
// keep-alive give trans_depth 1, 2, …) and writes one http.log record per exchange.

import type { AnalyzerContext, StreamAnalyzer } from "../types.js";
import { type ContentCoding, contentCoding } from "./body.js";
import { HeaderNames } from "./header-names.js";
import { MAX_PENDING_TRANSACTIONS } from "./limits.js";
import {
  type BodyFraming,
  HttpMessageParser,
  type MessageEvents,
  type StartLineVerdict,
} from "./message-parser.js";
import { parseRequestLine, type RequestLineRejection, UNREADABLE_VERSION } from "./request-line.js";
import { HttpTransaction, LOGGED_REQUEST_HEADERS } from "./transaction.js";

const STATUS_LINE = /^HTTP\/(\d+\.\d+)[ \t]+(\d{3})(?:[ \t]+(.*))?$/i;
/** Where parsing may pick up again after a gap: a request line or a status line. */
const REQUEST_LINE_START = /^[A-Z][A-Z0-9_-]{1,23}[ \t]+(?:[^\r\n]*[ \t])?HTTP\/\d\.\d\r?\n/;
const STATUS_LINE_START = /^HTTP\/1\.\d \d{3}[ \r\n]/;
/** What Zeek puts in status_msg when the reply has no reason phrase (or no status line at all). */
const EMPTY_REASON = "<empty>";

/**
 * Headers FramingHeaders.observe() looks at, by id (their position here). Both directions match
 * header names against a HeaderNames list that starts with these, so ids below FRAMING_HEADERS
 * .length are framing headers; request ids after them are LOGGED_REQUEST_HEADERS in order.
 */
const FRAMING_HEADERS = ["content-length", "transfer-encoding", "content-encoding"];
const CONTENT_LENGTH = 0;
const TRANSFER_ENCODING = 1;
const CONTENT_ENCODING = 2;
/** Headers whose values are used: framing in both directions, logged fields in requests. */
const REQUEST_HEADERS_USED = new HeaderNames([...FRAMING_HEADERS, ...LOGGED_REQUEST_HEADERS]);
const REPLY_HEADERS_USED = new HeaderNames(FRAMING_HEADERS);

/** Framing headers of the message currently being parsed in one direction. */
class FramingHeaders {
  contentLength?: number;
  chunked = false;
  coding?: ContentCoding;

  reset(): void {
    this.contentLength = undefined;
    this.chunked = false;
    this.coding = undefined;
  }

  /** A framing header by id; returns a weird name when the header is malformed. */
  observe(id: number, value: string): string | undefined {
    if (id === CONTENT_LENGTH) {
      if (!/^\d{1,15}$/.test(value)) return "http_bad_content_length";
      const length = Number(value);
      if (this.contentLength !== undefined && this.contentLength !== length)
        return "http_conflicting_content_length";
      this.contentLength = length;
    } else if (id === TRANSFER_ENCODING) {
      if (/(^|,)\s*chunked\s*$/i.test(value)) this.chunked = true;
    } else if (id === CONTENT_ENCODING) {
      this.coding = contentCoding(value);
    }
    return undefined;
  }
}

/** The framings without a parameter, shared rather than allocated per message. */
const NO_BODY: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };
const UNTIL_CLOSE: BodyFraming = { kind: "until-close" };
const PAUSE: BodyFraming = { kind: "pause" };
const STOP: BodyFraming = { kind: "stop" };

export class HttpAnalyzer implements StreamAnalyzer {
  private readonly requests: HttpMessageParser;
  private readonly replies: HttpMessageParser;
  /** Transactions in request order whose final response has not completed. */
  private readonly pending: HttpTransaction[] = [];
  private currentRequest?: HttpTransaction;
  private currentReply?: HttpTransaction;
  private currentReplyIsInterim = false;
  private readonly requestFraming = new FramingHeaders();
  private readonly replyFraming = new FramingHeaders();
  private depth = 0;
  /** The last request version read, for a request whose version is unreadable. */
  private lastRequestVersion?: string;
  private confirmed = false;
  /** An accepted CONNECT or a 101 reply ended HTTP: hand the connection over after this delivery. */
  private handOverPending = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.requests = new HttpMessageParser(this.requestEvents(), REQUEST_LINE_START, REQUEST_HEADERS_USED);
    this.replies = new HttpMessageParser(this.replyEvents(), STATUS_LINE_START, REPLY_HEADERS_USED);
  }

  data(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    (isOrig ? this.requests : this.replies).data(bytes, ts);
    if (this.handOverPending) {
      this.handOverPending = false;
      // Detection restarts on the bytes that follow (TLS inside a CONNECT tunnel, WebSocket after 101).
      this.ctx.switchProtocol?.();
    }
  }

  gap(isOrig: boolean, length: number, ts: number): void {
    (isOrig ? this.requests : this.replies).gap(length, ts);
  }

  end(ts: number): void {
    this.requests.end(ts);
    this.replies.end(ts);
    // Requests that never got (all of) a response are still worth a record.
    while (this.pending.length > 0) this.log(this.pending.shift()!);
  }

  private confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirm("http");
  }

  private reject(side: "request" | "reply", line: string, weird?: RequestLineRejection): StartLineVerdict {
    const shown = line.slice(0, 80);
    if (this.confirmed) {
      this.ctx.weird(weird ?? (side === "request" ? "bad_HTTP_request" : "bad_HTTP_reply"), shown);
      // Where a reply should start there is something else (its start was not captured): the
      // waiting requests' replies are lost, and a later status line must not be paired with them.
      if (side === "reply") this.onRepliesLost();
    } else {
      this.ctx.violation(`not an HTTP ${side} line: ${JSON.stringify(shown)}`);
    }
    return "reject";
  }

  private log(tx: HttpTransaction): void {
    const index = this.pending.indexOf(tx);
    if (index >= 0) this.pending.splice(index, 1);
    this.ctx.log("http", tx.toRecord());
  }

  private requestEvents(): MessageEvents {
    return {
      headerless: () => false,
      startLine: (line, ts) => this.onRequestLine(line, ts),
      header: (id, value) => {
        if (id < FRAMING_HEADERS.length) {
          const problem = this.requestFraming.observe(id, value);
          if (problem) this.ctx.weird(problem, value.slice(0, 80));
        } else {
          this.currentRequest?.requestHeader(LOGGED_REQUEST_HEADERS[id - FRAMING_HEADERS.length], value);
        }
      },
      headersDone: () => this.requestBodyFraming(),
      body: (bytes, start, end) =>
        this.currentRequest?.requestBodyBytes(bytes, start, end, this.requestFraming.coding),
      messageDone: () => {
        const problem = this.currentRequest?.requestFinished();
        if (problem) this.ctx.weird("http_body_not_decoded", problem);
        this.currentRequest = undefined;
      },
      weird: (name, addl) => this.ctx.weird(name, addl),
      // The cut request keeps its transaction (its reply may still come); requests entirely
      // inside the gap are never seen, and their replies will arrive unmatched.
      lostSync: () => {
        this.currentRequest = undefined;
      },
    };
  }

  private onRequestLine(line: string, ts: number): StartLineVerdict {
    const parsed = parseRequestLine(line.trim());
    if (typeof parsed === "string") return this.reject("request", line, parsed);
    this.confirm();
    for (const name of parsed.weirds) this.ctx.weird(name, line.slice(0, 80));
    // A version too short to read keeps the connection's previous one, as Zeek's SetVersion does.
    const version = parsed.version ?? this.lastRequestVersion ?? UNREADABLE_VERSION;
    this.lastRequestVersion = version;
    const tx = new HttpTransaction(ts, ++this.depth);
    tx.method = parsed.method;
    tx.uri = parsed.uri;
    tx.requestVersion = version;
    this.pending.push(tx);
    if (this.pending.length > MAX_PENDING_TRANSACTIONS) {
      this.ctx.weird("http_too_many_pending_requests", `${this.pending.length}`);
      this.log(this.pending[0]);
    }
    this.currentRequest = tx;
    this.requestFraming.reset();
    // HTTP/0.9 (RFC 1945 "simple request"): the request line is the whole request.
    return version === "0.9" ? "no-headers" : "headers";
  }

  private requestBodyFraming(): BodyFraming {
    const tx = this.currentRequest;
    if (tx?.method === "CONNECT") {
      // Bytes after a CONNECT belong to the tunnel if the proxy accepts it; wait for the reply.
      return PAUSE;
    }
    if (this.requestFraming.chunked) return CHUNKED;
    if (this.requestFraming.contentLength !== undefined) {
      return { kind: "length", length: this.requestFraming.contentLength };
    }
    // Requests without framing headers have no body (RFC 9112 §6.3 rule 7).
    return NO_BODY;
  }

  /** The oldest request still waiting for its final response. */
  private awaitingReply(): HttpTransaction | undefined {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) if (!pending[i].replyStarted) return pending[i];
    return undefined;
  }

  private replyEvents(): MessageEvents {
    return {
      headerless: () => this.onReplyWithoutHeaders(),
      startLine: (line, ts) => this.onStatusLine(line, ts),
      header: (id, value) => {
        const problem = this.replyFraming.observe(id, value);
        if (problem) this.ctx.weird(problem, value.slice(0, 80));
      },
      headersDone: () => this.replyBodyFraming(),
      body: (bytes, start, end) =>
        this.currentReply?.replyBodyBytes(bytes, start, end, this.replyFraming.coding),
      messageDone: () => this.onReplyDone(),
      weird: (name, addl) => this.ctx.weird(name, addl),
      lostSync: () => this.onRepliesLost(),
    };
  }

  /** An HTTP/0.9 request is answered by the bare document, up to the end of the connection. */
  private onReplyWithoutHeaders(): boolean {
    const tx = this.awaitingReply();
    if (tx?.requestVersion !== "0.9") return false;
    tx.replyStarted = true;
    tx.replyVersion = "0.9";
    tx.statusCode = 0;
    tx.statusMsg = EMPTY_REASON;
    this.currentReply = tx;
    this.currentReplyIsInterim = false;
    return true;
  }

  private onStatusLine(line: string, ts: number): StartLineVerdict {
    const match = STATUS_LINE.exec(line.trim());
    if (!match) return this.reject("reply", line);
    this.confirm();
    const code = Number(match[2]);
    const reason = match[3]?.trim() || EMPTY_REASON;
    let tx = this.awaitingReply();
    if (!tx) {
      this.ctx.weird("unmatched_HTTP_reply", line.slice(0, 80));
      tx = new HttpTransaction(ts, ++this.depth);
      this.pending.push(tx);
    }
    this.currentReply = tx;
    this.replyFraming.reset();
    tx.replyVersion = match[1];
    // 1xx replies are interim (100 Continue, 102, 103) — except 101, which ends HTTP on the wire.
    this.currentReplyIsInterim = code >= 100 && code < 200 && code !== 101;
    if (this.currentReplyIsInterim) {
      tx.infoCode = code;
      tx.infoMsg = reason;
    } else {
      tx.replyStarted = true;
      tx.statusCode = code;
      tx.statusMsg = reason;
    }
    return "headers";
  }

  private replyBodyFraming(): BodyFraming {
    const tx = this.currentReply;
    if (!tx || this.currentReplyIsInterim) return NO_BODY;
    const code = tx.statusCode ?? 0;
    if (code === 101) return this.tunnel();
    if (tx.method === "CONNECT") {
      if (code >= 200 && code < 300) return this.tunnel();
      this.requests.resume();
    }
    if (tx.method === "HEAD" || code === 204 || code === 304) return NO_BODY;
    if (this.replyFraming.chunked) return CHUNKED;
    if (this.replyFraming.contentLength !== undefined) {
      return { kind: "length", length: this.replyFraming.contentLength };
    }
    return UNTIL_CLOSE;
  }

  /** After an accepted CONNECT or a protocol switch, neither direction carries HTTP any more. */
  private tunnel(): BodyFraming {
    this.requests.stop();
    this.handOverPending = true;
    return STOP;
  }

  /**
   * Replies were lost in a gap: which requests they answered is unknown, so every request still
   * waiting is logged now, without a reply, rather than paired with a later reply by guesswork.
   */
  private onRepliesLost(): void {
    this.currentReply = undefined;
    for (const tx of [...this.pending]) {
      if (tx === this.currentRequest) continue;
      this.log(tx);
    }
  }

  private onReplyDone(): void {
    const tx = this.currentReply;
    this.currentReply = undefined;
    if (!tx || this.currentReplyIsInterim) return;
    const problem = tx.replyFinished();
    if (problem) this.ctx.weird("http_body_not_decoded", problem);
    this.log(tx);
  }
}
