// Incremental HTTP/1.x message framing for one direction of a connection: start line, header
// block, then a body delimited by Content-Length, chunked transfer coding (with trailers) or the
// end of the connection. Bytes may arrive split at any position; only an unfinished line is
// copied, body bytes are handed on as views.
//
// Lines are judged as bytes: text is built only for start lines, for the headers the owner asked
// for (most headers of a message are never logged) and for weirds.
//
// Beside it: message-events.ts (the owner's callbacks), parser-states.ts, line-bytes.ts (byte
// searches, chunk sizes, an over-long line's tail, the message-start scan after a gap).

// The module binding, not the global: global `Buffer` is an accessor property, a getter call per use.
import { Buffer } from "node:buffer";
import { latin1 } from "../../text/bytes.js";
import type { HeaderNames } from "./header-names.js";
import {
  MAX_CHUNK_SIZE_LINE_BYTES,
  MAX_HEADER_BLOCK_BYTES,
  MAX_LINE_BYTES,
  MAX_LOGGED_VALUE_CHARS,
} from "./limits.js";
import { findMessageStart, indexOfByte, isTrimmedByte, keptTail, LF, parseChunkSize } from "./line-bytes.js";
import type { BodyFraming, MessageEvents } from "./message-events.js";
import {
  S_BODY_CLOSE,
  S_BODY_LENGTH,
  S_CHUNK_DATA,
  S_CHUNK_DATA_END,
  S_CHUNK_SIZE,
  S_HEADERS,
  S_PAUSED,
  S_RESYNC,
  S_START,
  S_STOPPED,
  S_TRAILERS,
  STATE_NAMES,
  type State,
} from "./parser-states.js";
import { versionSuffix } from "./request-line.js";

export type { BodyFraming, MessageEvents, StartLineVerdict } from "./message-events.js";

const EMPTY = Buffer.alloc(0);
/** Zeek's weird for a line longer than its line reader takes (ContentLine_Analyzer). */
const WEIRD_LINE_TOO_LONG = "contentline_size_exceeded";
const COLON = 0x3a;

export class HttpMessageParser {
  private state: State = S_START;
  private inMessage = false;
  private lineParts: Uint8Array[] = [];
  private lineLength = 0;
  /** Bytes of the current start line + header block (or trailer block) seen so far. */
  private blockBytes = 0;
  private remaining = 0;
  /** A header line was read and may still get obs-fold continuation lines. */
  private headerPending = false;
  /** Id and value of the pending header when it is a wanted one (else -1). */
  private pendingId = -1;
  private pendingValue = "";
  private stateAfterPause: State = S_START;
  /** The line readLine() found: bytes [lineStart, lineEnd) of lineSource, CRs before the LF dropped. */
  private lineSource: Buffer = EMPTY;
  private lineStart = 0;
  private lineEnd = 0;
  /** The line readLine() found is the head of a longer line (see readLine). */
  private lineTruncated = false;
  /** Where parsing continues after the last readLine() call. */
  private nextPos = 0;
  /** An over-long line is being skipped up to its LF; its first MAX_LINE_BYTES are in lineParts. */
  private skippingLine = false;
  /** The last LINE_TAIL_CHARS of the line being skipped, as latin1 text. */
  private lineTail = "";
  /** The start of a line that may begin a message, cut by the end of a delivery while resyncing. */
  private resyncCarry: Uint8Array | undefined;

  constructor(
    private readonly events: MessageEvents,
    /**
     * Recognises where a message can start again after a gap or a line that is not a start line
     * (anchored with ^): it is tried at each line start, on the rest of that delivery.
     */
    private readonly resyncPattern: RegExp,
    /** Header names the owner wants as text; other headers are only framed. */
    private readonly wanted: HeaderNames,
  ) {}

  get stopped(): boolean {
    return this.state === S_STOPPED;
  }

  /** Nothing more in this direction is HTTP. */
  stop(): void {
    this.state = S_STOPPED;
    this.resetLine();
    this.resyncCarry = undefined;
  }

  /** Leaves the "pause" framing: the next bytes start a new message. */
  resume(): void {
    if (this.state === S_PAUSED) this.state = this.stateAfterPause;
  }

  data(chunk: Uint8Array, ts: number): void {
    // One Buffer view per delivery, so lines decode without a view per line.
    let bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.resyncCarry) {
      bytes = Buffer.concat([this.resyncCarry, bytes]);
      this.resyncCarry = undefined;
    }
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.state) {
        case S_STOPPED:
        case S_PAUSED:
          return;
        case S_START:
          pos = this.onStart(bytes, pos, ts);
          break;
        case S_HEADERS:
          pos = this.onHeaderLine(bytes, pos, ts);
          break;
        case S_BODY_LENGTH:
        case S_CHUNK_DATA:
          pos = this.onCountedBody(bytes, pos, ts);
          break;
        case S_CHUNK_SIZE:
          pos = this.onChunkSize(bytes, pos, ts);
          break;
        case S_CHUNK_DATA_END:
          pos = this.onChunkDataEnd(bytes, pos, ts);
          break;
        case S_TRAILERS:
          pos = this.onTrailerLine(bytes, pos, ts);
          break;
        case S_BODY_CLOSE:
          this.events.body(bytes, pos, bytes.length);
          pos = bytes.length;
          break;
        case S_RESYNC:
          pos = this.onResync(bytes, pos);
          break;
      }
    }
  }

  /**
   * `length` bytes never arrived. A hole inside a body of known size keeps the framing (the body
   * just misses bytes); anywhere else the message boundaries are lost: the message in flight is
   * ended and parsing resumes at the next line that starts a message.
   */
  gap(length: number, ts: number): void {
    if ((this.state === S_BODY_LENGTH || this.state === S_CHUNK_DATA) && length < this.remaining) {
      this.remaining -= length;
      return;
    }
    if (this.state === S_BODY_CLOSE || this.state === S_STOPPED || this.state === S_PAUSED) return;
    if (this.state !== S_RESYNC) {
      this.events.weird("http_content_gap", `${length} bytes missing while in ${STATE_NAMES[this.state]}`);
      this.finishInterrupted(ts);
      this.events.lostSync();
    }
    this.resetLine();
    this.dropPendingHeader();
    this.blockBytes = 0;
    this.state = S_RESYNC;
  }

  /** The connection ended: a close-delimited body is complete, anything else was cut short. */
  end(ts: number): void {
    if (this.state === S_BODY_CLOSE) {
      this.finishMessage(ts, false);
    } else if (this.inMessage) {
      this.finishInterrupted(ts);
    }
    this.stop();
  }

  /**
   * Skips to the next line start where a message can begin (start lines open with A-Z). A
   * candidate line cut by the end of the delivery is kept until the next one decides it.
   */
  private onResync(bytes: Buffer, pos: number): number {
    const at = findMessageStart(bytes, pos, this.resyncPattern);
    if (at < 0) {
      this.resyncCarry = new Uint8Array(bytes.subarray(~at)); // a copy, not a view
      return bytes.length;
    }
    if (at < bytes.length) this.state = S_START;
    return at;
  }

  private onStart(bytes: Buffer, pos: number, ts: number): number {
    if (!this.inMessage && this.lineLength === 0 && this.events.headerless(ts)) {
      this.inMessage = true;
      this.state = S_BODY_CLOSE;
      return pos;
    }
    if (!this.readLine(bytes, pos, MAX_LINE_BYTES, ts, undefined)) return this.nextPos;
    // Stray CRLFs between messages are allowed before a start line (RFC 9112 §2.2).
    if (this.lineEnd === this.lineStart) {
      this.blockBytes = 0;
      return this.nextPos;
    }
    this.inMessage = true;
    // A cut line keeps its version: the URI is what gets truncated, not the request.
    const text = this.lineTruncated ? this.lineText() + versionSuffix(this.lineTail) : this.lineText();
    const verdict = this.events.startLine(text, ts);
    if (verdict === "reject") {
      // Not a start line (e.g. the tail of a message that began before the capture): skip to
      // the next line that can start one.
      this.inMessage = false;
      this.state = S_RESYNC;
    } else if (verdict === "no-headers") {
      this.finishMessage(ts, false);
    } else {
      this.state = S_HEADERS;
    }
    return this.nextPos;
  }

  private onHeaderLine(bytes: Buffer, pos: number, ts: number): number {
    if (!this.readLine(bytes, pos, MAX_LINE_BYTES, ts, undefined)) return this.nextPos;
    const source = this.lineSource;
    const start = this.lineStart;
    const end = this.lineEnd;
    if (end === start) {
      this.flushHeader();
      this.blockBytes = 0;
      this.applyFraming(this.events.headersDone(ts), ts);
      return this.nextPos;
    }
    const first = source[start];
    if ((first === 0x20 || first === 0x09) && this.headerPending) {
      // obs-fold: a continuation line belongs to the previous header's value.
      // Values are logged clipped anyway: a flood of continuation lines stops growing it there.
      if (this.pendingId >= 0 && this.pendingValue.length < MAX_LOGGED_VALUE_CHARS)
        this.pendingValue = `${this.pendingValue} ${this.lineText().trim()}`;
      return this.nextPos;
    }
    this.flushHeader();
    // V8's search rather than a byte loop: cheaper while this code still runs in the interpreter.
    let colon = indexOfByte(source, COLON, start);
    if (colon < 0 || colon > end) colon = end;
    if (colon === end || colon === start) {
      this.events.weird("http_bad_header_line", this.lineText().slice(0, 80));
      return this.nextPos;
    }
    this.headerPending = true;
    // The name's bytes as String#trim would leave them; only wanted headers' values become text.
    let nameStart = start;
    let nameEnd = colon;
    while (nameStart < nameEnd && isTrimmedByte(source[nameStart])) nameStart++;
    while (nameEnd > nameStart && isTrimmedByte(source[nameEnd - 1])) nameEnd--;
    const id = this.wanted.match(source, nameStart, nameEnd);
    if (id >= 0) {
      this.pendingId = id;
      this.pendingValue = latin1(source, colon + 1, end).trim();
    }
    return this.nextPos;
  }

  private flushHeader(): void {
    if (!this.headerPending) return;
    const id = this.pendingId;
    const value = this.pendingValue;
    this.dropPendingHeader();
    if (id >= 0) this.events.header(id, value);
  }

  private dropPendingHeader(): void {
    this.headerPending = false;
    this.pendingId = -1;
    this.pendingValue = "";
  }

  private applyFraming(framing: BodyFraming, ts: number): void {
    switch (framing.kind) {
      case "none":
        this.finishMessage(ts, false);
        return;
      case "length":
        if (framing.length === 0) {
          this.finishMessage(ts, false);
        } else {
          this.remaining = framing.length;
          this.state = S_BODY_LENGTH;
        }
        return;
      case "chunked":
        this.state = S_CHUNK_SIZE;
        return;
      case "until-close":
        this.state = S_BODY_CLOSE;
        return;
      case "pause":
        this.finishMessage(ts, false);
        this.stateAfterPause = S_START;
        this.state = S_PAUSED;
        return;
      case "stop":
        this.finishMessage(ts, false);
        this.stop();
        return;
    }
  }

  private onCountedBody(bytes: Buffer, pos: number, ts: number): number {
    const take = Math.min(this.remaining, bytes.length - pos);
    this.events.body(bytes, pos, pos + take);
    this.remaining -= take;
    if (this.remaining === 0) {
      if (this.state === S_CHUNK_DATA) {
        this.state = S_CHUNK_DATA_END;
      } else {
        this.finishMessage(ts, false);
      }
    }
    return pos + take;
  }

  private onChunkSize(bytes: Buffer, pos: number, ts: number): number {
    if (!this.readLine(bytes, pos, MAX_CHUNK_SIZE_LINE_BYTES, ts, "http_chunk_size_line_too_long"))
      return this.nextPos;
    this.blockBytes = 0;
    // Tolerate stray empty lines before a chunk size, as common servers and browsers do.
    if (this.lineEnd === this.lineStart) return this.nextPos;
    const size = parseChunkSize(this.lineSource, this.lineStart, this.lineEnd);
    if (size === undefined) {
      this.events.weird("http_bad_chunk_size", this.lineText().slice(0, 80));
      this.finishInterrupted(ts);
      this.stop();
      return this.nextPos;
    }
    if (size === 0) {
      this.state = S_TRAILERS;
    } else {
      this.remaining = size;
      this.state = S_CHUNK_DATA;
    }
    return this.nextPos;
  }

  private onChunkDataEnd(bytes: Buffer, pos: number, ts: number): number {
    if (!this.readLine(bytes, pos, MAX_CHUNK_SIZE_LINE_BYTES, ts, "http_chunk_size_line_too_long"))
      return this.nextPos;
    this.blockBytes = 0;
    if (this.lineEnd !== this.lineStart) {
      this.events.weird("http_chunk_missing_crlf", this.lineText().slice(0, 80));
      this.finishInterrupted(ts);
      this.stop();
      return this.nextPos;
    }
    this.state = S_CHUNK_SIZE;
    return this.nextPos;
  }

  private onTrailerLine(bytes: Buffer, pos: number, ts: number): number {
    if (!this.readLine(bytes, pos, MAX_LINE_BYTES, ts, undefined)) return this.nextPos;
    // Trailer fields are framing metadata after the body; http.log takes nothing from them.
    if (this.lineEnd === this.lineStart) {
      this.blockBytes = 0;
      this.finishMessage(ts, false);
    }
    return this.nextPos;
  }

  private finishMessage(ts: number, interrupted: boolean): void {
    this.inMessage = false;
    this.remaining = 0;
    this.dropPendingHeader();
    this.state = S_START;
    this.events.messageDone(ts, interrupted);
  }

  private finishInterrupted(ts: number): void {
    if (this.inMessage) {
      this.flushHeader();
      this.finishMessage(ts, true);
    }
  }

  /**
   * Reads up to the next LF. True once a line is complete: it is then lineSource[lineStart,
   * lineEnd) without CR LF, and parsing continues at nextPos. Otherwise keeps a copy of the partial
   * line — the caller's buffer is reused after data() returns.
   *
   * A line longer than `limit` either ends the direction (`tooLongWeird` given: chunk-size lines,
   * where a longer one is garbage) or is truncated: its first `limit` bytes are the line
   * (lineTruncated, with its last bytes in lineTail) and the rest is skipped up to the LF.
   */
  private readLine(
    bytes: Buffer,
    pos: number,
    limit: number,
    ts: number,
    tooLongWeird: string | undefined,
  ): boolean {
    const lf = indexOfByte(bytes, LF, pos);
    const end = lf < 0 ? bytes.length : lf;
    const blockBefore = this.blockBytes;
    this.blockBytes += end - pos + (lf < 0 ? 0 : 1);
    if (
      tooLongWeird === undefined &&
      blockBefore <= MAX_HEADER_BLOCK_BYTES &&
      this.blockBytes > MAX_HEADER_BLOCK_BYTES
    ) {
      // Reported once per block; each line is bounded, so parsing goes on.
      this.events.weird(
        "http_header_too_large",
        `more than ${MAX_HEADER_BLOCK_BYTES} bytes of start line and headers`,
      );
    }
    if (this.skippingLine) {
      this.keepTail(bytes, pos, end);
      return this.endSkippedLine(bytes, lf);
    }
    if (this.lineLength + (end - pos) > limit) {
      if (tooLongWeird !== undefined) {
        this.events.weird(tooLongWeird, `more than ${limit} bytes without the end of the line`);
        this.finishInterrupted(ts);
        this.stop();
        this.nextPos = bytes.length;
        return false;
      }
      const keep = limit - this.lineLength;
      this.lineParts.push(new Uint8Array(bytes.subarray(pos, pos + keep)));
      this.lineLength = limit;
      this.skippingLine = true;
      this.lineTail = "";
      this.events.weird(
        WEIRD_LINE_TOO_LONG,
        `line over ${limit} bytes in ${STATE_NAMES[this.state]}: truncated`,
      );
      this.keepTail(bytes, pos + keep, end);
      return this.endSkippedLine(bytes, lf);
    }
    if (lf < 0) {
      // A copy: the delivery's buffer is reused after data() returns.
      this.lineParts.push(new Uint8Array(bytes.subarray(pos)));
      this.lineLength += bytes.length - pos;
      this.nextPos = bytes.length;
      return false;
    }
    let source = bytes;
    let lineStart = pos;
    let lineEnd = lf;
    if (this.lineParts.length > 0) {
      this.lineParts.push(bytes.subarray(pos, lf));
      source = Buffer.concat(this.lineParts, this.lineLength + (lf - pos));
      lineStart = 0;
      lineEnd = source.length;
      this.resetLine();
    }
    // Every CR before the LF goes: "\r\r\n" ends a header block for browsers too (an evasion
    // trick seen in the bench capture's HTTP-evader traces).
    while (lineEnd > lineStart && source[lineEnd - 1] === 0x0d) lineEnd--;
    this.setLine(source, lineStart, lineEnd, false);
    this.nextPos = lf + 1;
    return true;
  }

  /** Keeps the last bytes of an over-long line's skipped bytes b[from, to) (line-bytes.ts). */
  private keepTail(b: Buffer, from: number, to: number): void {
    this.lineTail = keptTail(this.lineTail, b, from, to);
  }

  /** While an over-long line is skipped: at its LF, its kept head becomes the line. */
  private endSkippedLine(bytes: Buffer, lf: number): boolean {
    if (lf < 0) {
      this.nextPos = bytes.length;
      return false;
    }
    const head = Buffer.concat(this.lineParts, this.lineLength);
    this.resetLine();
    this.skippingLine = false;
    let tail = this.lineTail;
    while (tail.endsWith("\r")) tail = tail.slice(0, -1);
    this.lineTail = tail;
    this.setLine(head, 0, head.length, true);
    this.nextPos = lf + 1;
    return true;
  }

  private setLine(source: Buffer, start: number, end: number, truncated: boolean): void {
    this.lineSource = source;
    this.lineStart = start;
    this.lineEnd = end;
    this.lineTruncated = truncated;
  }

  /**
   * The line readLine() found, as text. latin1 maps bytes one-to-one: obs-text stays visible
   * instead of turning into U+FFFD.
   */
  private lineText(): string {
    return latin1(this.lineSource, this.lineStart, this.lineEnd);
  }

  private resetLine(): void {
    if (this.lineParts.length > 0) this.lineParts = [];
    this.lineLength = 0;
    this.skippingLine = false;
  }
}
