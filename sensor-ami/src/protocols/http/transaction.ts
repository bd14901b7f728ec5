// One request/response exchange and how it becomes an http.log record (Zeek's HTTP::Info).

// The module binding, not the global: global `Buffer` is an accessor property, a getter call per use.
import { Buffer } from "node:buffer";
import type { LogRecord } from "../types.js";
import { type BodySummary, type ContentCoding, MessageBody } from "./body.js";
import { MAX_LOGGED_VALUE_CHARS, MAX_REPEATED_HEADER_VALUES } from "./limits.js";

/** Request headers Zeek lists in `proxied` (HTTP::proxy_headers), upper case as Zeek prints them. */
const PROXY_HEADERS: ReadonlySet<string> = new Set([
  "FORWARDED",
  "X-FORWARDED-FOR",
  "X-FORWARDED-FROM",
  "CLIENT-IP",
  "VIA",
  "XROXY-CONNECTION",
  "PROXY-CONNECTION",
]);

/** Every request header requestHeader() takes something from (upper case). */
export const LOGGED_REQUEST_HEADERS: readonly string[] = [
  "HOST",
  "REFERER",
  "USER-AGENT",
  "ORIGIN",
  "AUTHORIZATION",
  ...PROXY_HEADERS,
];

const clip = (value: string): string =>
  value.length > MAX_LOGGED_VALUE_CHARS ? value.slice(0, MAX_LOGGED_VALUE_CHARS) : value;

/** Host header without the port, like Zeek (IPv6 literals keep their brackets). */
function hostWithoutPort(value: string): string {
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    return close > 0 ? value.slice(0, close + 1) : value;
  }
  const colon = value.indexOf(":");
  return colon >= 0 ? value.slice(0, colon) : value;
}

/** The user name from `Authorization: Basic …`; Zeek's marker when it does not decode to user:pass. */
function basicAuthUser(value: string): string | undefined {
  const match = /^basic\s+(\S+)/i.exec(value);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("latin1");
  const colon = decoded.indexOf(":");
  return colon >= 0 ? decoded.slice(0, colon) : "<problem-decoding>";
}

export class HttpTransaction {
  method?: string;
  uri?: string;
  requestVersion?: string;
  replyVersion?: string;
  host?: string;
  referrer?: string;
  userAgent?: string;
  origin?: string;
  username?: string;
  readonly proxied: string[] = [];
  private requestBody?: BodySummary;
  private replyBody?: BodySummary;
  statusCode?: number;
  statusMsg?: string;
  infoCode?: number;
  infoMsg?: string;
  requestDone = false;
  /** A final (non-1xx) response has started. */
  replyStarted = false;
  /** Body of the request or final reply being received, until its message ends. */
  private requestBodyInProgress?: MessageBody;
  private replyBodyInProgress?: MessageBody;

  constructor(
    readonly ts: number,
    readonly transDepth: number,
  ) {}

  /** A request header by its upper-case name (one of LOGGED_REQUEST_HEADERS to have an effect). */
  requestHeader(upper: string, value: string): void {
    switch (upper) {
      case "HOST":
        this.host = clip(hostWithoutPort(value));
        break;
      case "REFERER":
        this.referrer = clip(value);
        break;
      case "USER-AGENT":
        this.userAgent = clip(value);
        break;
      case "ORIGIN":
        this.origin = clip(value);
        break;
      case "AUTHORIZATION":
        this.username = basicAuthUser(value) ?? this.username;
        break;
    }
    // Bounded: header blocks are no longer capped as a whole, only line by line.
    if (PROXY_HEADERS.has(upper) && this.proxied.length < MAX_REPEATED_HEADER_VALUES)
      this.proxied.push(clip(`${upper} -> ${value}`));
  }

  requestBodyBytes(bytes: Uint8Array, start: number, end: number, coding: ContentCoding | undefined): void {
    this.requestBodyInProgress ??= new MessageBody(coding);
    this.requestBodyInProgress.add(bytes, start, end);
  }

  replyBodyBytes(bytes: Uint8Array, start: number, end: number, coding: ContentCoding | undefined): void {
    this.replyBodyInProgress ??= new MessageBody(coding);
    this.replyBodyInProgress.add(bytes, start, end);
  }

  /** Ends the request; returns a decoding problem worth a weird, if any. */
  requestFinished(): string | undefined {
    this.requestDone = true;
    this.requestBody = this.requestBodyInProgress?.finish();
    this.requestBodyInProgress = undefined;
    return this.requestBody?.decodeProblem;
  }

  /** Ends the final reply; returns a decoding problem worth a weird, if any. */
  replyFinished(): string | undefined {
    this.replyBody = this.replyBodyInProgress?.finish();
    this.replyBodyInProgress = undefined;
    return this.replyBody?.decodeProblem;
  }

  /** Fields in Zeek's order; unset values are left out, as Zeek's JSON writer does. */
  toRecord(): LogRecord {
    const record: LogRecord = { ts: this.ts, trans_depth: this.transDepth };
    if (this.method !== undefined) record.method = this.method;
    if (this.host !== undefined) record.host = this.host;
    if (this.uri !== undefined) record.uri = this.uri;
    if (this.referrer !== undefined) record.referrer = this.referrer;
    const version = this.replyVersion ?? this.requestVersion;
    if (version !== undefined) record.version = version;
    if (this.userAgent !== undefined) record.user_agent = this.userAgent;
    if (this.origin !== undefined) record.origin = this.origin;
    // A body still arriving when the record is written (connection cut) counts what was seen.
    record.request_body_len = this.requestBody?.length ?? this.requestBodyInProgress?.transferred ?? 0;
    record.response_body_len = this.replyBody?.length ?? this.replyBodyInProgress?.transferred ?? 0;
    if (this.statusCode !== undefined) record.status_code = this.statusCode;
    if (this.statusMsg !== undefined) record.status_msg = this.statusMsg;
    if (this.infoCode !== undefined) record.info_code = this.infoCode;
    if (this.infoMsg !== undefined) record.info_msg = this.infoMsg;
    record.tags = [];
    if (this.username !== undefined) record.username = this.username;
    if (this.proxied.length > 0) record.proxied = [...this.proxied];
    if (this.requestBody?.mimeType) record.orig_mime_types = [this.requestBody.mimeType];
    if (this.replyBody?.mimeType) record.resp_mime_types = [this.replyBody.mimeType];
    return record;
  }
}
