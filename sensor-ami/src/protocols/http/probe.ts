// Content probes: is the first payload of a direction an HTTP/1.x request or status line?

import { latin1 } from "../../text/bytes.js";
import { ProbeResult } from "../types.js";
import { parseRequestLine } from "./request-line.js";

/** Bytes of the first line a probe looks at; request lines with longer URIs only get Maybe. */
const PROBE_WINDOW_BYTES = 2048;

/** What a method must look like for its line to prove HTTP (Zeek's analyzer takes any token). */
const PROBE_METHOD = /^[A-Z][A-Z0-9_-]{1,23}$/;
/**
 * Methods Zeek's HTTP signature knows (dpd.sig), plus common WebDAV/UPnP/RFC 5789 ones: a line
 * cut short after one of these, or an HTTP/0.9 line with one, is plausible HTTP.
 */
const KNOWN_METHOD =
  /^(?:OPTIONS|GET|HEAD|POST|PUT|DELETE|TRACE|CONNECT|PATCH|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|POLL|REPORT|SUBSCRIBE|UNSUBSCRIBE|NOTIFY|M-SEARCH|BMOVE|SEARCH|MKCALENDAR|ACL|PURGE)[ \t]/;
/** A request line cut short anywhere: method, then URI, then any prefix of " HTTP/1.x". */
const REQUEST_PREFIX = /^[A-Z][A-Z0-9_-]{1,23}( [\x21-\x7e]*( (H(T(T(P(\/(1(\.[0-9]?)?)?)?)?)?)?)?)?)?$/;
const MARKUP_START = /^\s*<[!?a-zA-Z]/;
const STATUS_LINE_START = /^HTTP\/1\.[0-9] [0-9]{3}( |\r|\n|$)/;

/** V8's own search (Buffer#indexOf wraps it in argument handling: slower before the JIT warms up). */
const typedIndexOf = Uint8Array.prototype.indexOf;

function firstLine(bytes: Uint8Array): { line: string; complete: boolean } {
  const windowLength = Math.min(bytes.length, PROBE_WINDOW_BYTES);
  let lf: number = typedIndexOf.call(bytes, 0x0a);
  if (lf >= windowLength) lf = -1;
  const end = lf < 0 ? windowLength : lf;
  const line = latin1(bytes, 0, end);
  return { line, complete: lf >= 0 };
}

/** Whitespace as the \s of MARKUP_START sees it, for latin1 bytes. */
const isSpaceByte = (b: number): boolean => (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0;

/**
 * Whether the first byte can begin anything probeHttp answers Yes or Maybe to, so that most
 * payloads are turned away without building text: requests start with A-Z; replies with "H"
 * (HTTP/1.x), LF (an empty first line is a prefix of "HTTP/1."), or whitespace or "<" (markup).
 */
function possibleStart(first: number, isOrig: boolean): boolean {
  if (isOrig) return first >= 0x41 && first <= 0x5a;
  return first === 0x48 || first === 0x3c || isSpaceByte(first);
}

export function probeHttp(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (bytes.length < 4 || !possibleStart(bytes[0], isOrig)) return ProbeResult.No;
  const { line, complete } = firstLine(bytes);
  if (!isOrig) {
    if (STATUS_LINE_START.test(line)) return ProbeResult.Yes;
    if ("HTTP/1.".startsWith(line) || line.startsWith("HTTP/1.")) return ProbeResult.Maybe;
    // An HTTP/0.9 reply is the bare document; markup is plausible (alone it proves nothing).
    return MARKUP_START.test(line) ? ProbeResult.Maybe : ProbeResult.No;
  }
  if (!complete)
    return REQUEST_PREFIX.test(line) || KNOWN_METHOD.test(line) ? ProbeResult.Maybe : ProbeResult.No;
  // A complete line is judged as the analyzer will read it, so that whatever the probe lets in
  // (odd methods, a URI with spaces, a malformed version, no URI) is logged, and nothing else.
  const parsed = parseRequestLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  if (typeof parsed === "string" || !PROBE_METHOD.test(parsed.method)) return ProbeResult.No;
  // HTTP/2's prior-knowledge preface ("PRI * HTTP/2.0") is not HTTP/1.x.
  if (parsed.version !== "0.9") return parsed.version?.startsWith("2") ? ProbeResult.No : ProbeResult.Yes;
  // HTTP/0.9 simple requests carry no version: plausible, not proof.
  return KNOWN_METHOD.test(line) && parsed.uri.startsWith("/") ? ProbeResult.Maybe : ProbeResult.No;
}
