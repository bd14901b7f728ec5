// Content probes: is the first payload of a direction an HTTP/1.x request or status line?

import { latin1 } from "../../text/bytes.js";
import { ProbeResult } from "../types.js";

/** Bytes of the first line a probe looks at; request lines with longer URIs only get Maybe. */
const PROBE_WINDOW_BYTES = 2048;

const REQUEST_LINE = /^[A-Z][A-Z0-9_-]{1,23} [\x21-\x7e]+ HTTP\/1\.[0-9]\r?$/;
const SIMPLE_REQUEST_LINE = /^GET \/[\x21-\x7e]*\r?$/;
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
  if (REQUEST_LINE.test(line)) return ProbeResult.Yes;
  // HTTP/0.9 simple requests carry no version: plausible, not proof.
  if (complete && SIMPLE_REQUEST_LINE.test(line)) return ProbeResult.Maybe;
  if (!complete && REQUEST_PREFIX.test(line)) return ProbeResult.Maybe;
  return ProbeResult.No;
}
