// The request line as Zeek's HTTP analyzer reads it (HTTP_Analyzer::HTTP_RequestLine and
// ParseRequest): any token is a method, the URI is what lies between the method and the first
// "HTTP/" that follows whitespace, and a missing URI or a malformed version is a weird, not a
// reason to drop the request. Only a line without a method, without whitespace after it, or an
// HTTP/0.9 line Zeek would not take is rejected.

/** Zeek's is_HTTP_token_char (the same set as RFC 9110 tchar), as a table over ASCII. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+.^_`|~-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN[c.charCodeAt(0)] = 1;

/** RFC 3986 reserved and unreserved characters plus "%": what Zeek's URI scan runs over. */
const URI_CHAR = new Uint8Array(128);
for (const c of ":/?#[]@!$&'()*+,;=-_.~%0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  URI_CHAR[c.charCodeAt(0)] = 1;

const isTokenChar = (c: number): boolean => c < 128 && TOKEN[c] === 1;
const isUriChar = (c: number): boolean => c < 128 && URI_CHAR[c] === 1;
/** Zeek's skip_whitespace: space and tab. */
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/** An HTTP/0.9 line's method (it has no version to show that it is HTTP). */
const UPPER_METHOD = /^[A-Z][A-Z0-9_-]*$/;

/** Version text Zeek prints for a version it could not read ("%.1f" of its zero version). */
export const UNREADABLE_VERSION = "0.0";

export interface RequestLine {
  readonly method: string;
  readonly uri: string;
  /** "1.1", "1.0", …; "0.9" for a simple request; undefined when "HTTP/" is too short to hold one. */
  readonly version: string | undefined;
  /** Zeek weird names the line raises (missing_HTTP_uri, lowercase_HTTP_keyword, bad_HTTP_version). */
  readonly weirds: readonly string[];
}

/** Why a line is not a request line, as Zeek's weird names it. */
export type RequestLineRejection = "bad_HTTP_request" | "bad_HTTP_request_with_version";

/**
 * Whether text[at..] starts with "HTTP/": 1 as sent, 2 in another letter case, 0 not at all.
 * Called at every word start of the URI, so it compares char codes (no slice): `c | 0x20` folds
 * exactly "H"/"h", "T"/"t", "P"/"p" together (no other character upper-cases to them).
 */
function httpKeywordAt(text: string, at: number): 0 | 1 | 2 {
  if (at + 5 > text.length) return 0;
  const h = text.charCodeAt(at);
  const t1 = text.charCodeAt(at + 1);
  const t2 = text.charCodeAt(at + 2);
  const p = text.charCodeAt(at + 3);
  if ((h | 0x20) !== 0x68 || (t1 | 0x20) !== 0x74 || (t2 | 0x20) !== 0x74 || (p | 0x20) !== 0x70) return 0;
  if (text.charCodeAt(at + 4) !== 0x2f) return 0;
  return h === 0x48 && t1 === 0x54 && t2 === 0x54 && p === 0x50 ? 1 : 2;
}

function skipBlanks(text: string, at: number): number {
  while (at < text.length && isBlank(text.charCodeAt(at))) at++;
  return at;
}

/** Reads "d.d" at text[at..]; Zeek's HTTP_Version (one digit each side). */
function readVersion(text: string, at: number): string | undefined {
  const major = text.charCodeAt(at);
  const minor = text.charCodeAt(at + 2);
  if (major >= 0x30 && major <= 0x39 && text.charCodeAt(at + 1) === 0x2e && minor >= 0x30 && minor <= 0x39)
    return `${text[at]}.${text[at + 2]}`;
  return undefined;
}

/**
 * The last line parsed and its result: the probe judges a connection's first request line with
 * this parser and the analyzer then reads the same line, which is not parsed twice. Results are
 * immutable, so sharing one is safe.
 */
let lastLine: string | null = null;
let lastParsed: RequestLine | RequestLineRejection = "bad_HTTP_request";

/** Parses a request line (CR LF already removed) the way Zeek does. */
export function parseRequestLine(line: string): RequestLine | RequestLineRejection {
  if (line === lastLine) return lastParsed;
  const parsed = parseUncached(line);
  lastLine = line;
  lastParsed = parsed;
  return parsed;
}

function parseUncached(line: string): RequestLine | RequestLineRejection {
  const end = line.length;
  let methodEnd = 0;
  while (methodEnd < end && isTokenChar(line.charCodeAt(methodEnd))) methodEnd++;
  if (methodEnd === 0) {
    // Zeek's weak test for "something, then a version": " HTTP/" nine characters from the end.
    return end >= 9 && line.slice(end - 9, end - 3).toUpperCase() === " HTTP/"
      ? "bad_HTTP_request_with_version"
      : "bad_HTTP_request";
  }
  const rest = skipBlanks(line, methodEnd);
  if (rest === methodEnd) return "bad_HTTP_request";

  const weirds: string[] = [];
  let uriEnd = rest;
  while (uriEnd < end && isUriChar(line.charCodeAt(uriEnd))) uriEnd++;
  const keywordAtRest = httpKeywordAt(line, rest);
  if (keywordAtRest === 2) weirds.push("lowercase_HTTP_keyword");
  if (uriEnd >= end && keywordAtRest !== 0) {
    weirds.push("missing_HTTP_uri");
    uriEnd = rest;
  }
  // The version is the first "HTTP/" that starts a word at or after the URI scan's stop; the URI
  // runs up to the blanks before it (so a URI may contain spaces, as Zeek logs it).
  let versionStart = uriEnd;
  for (; versionStart < end; versionStart++) {
    uriEnd = versionStart;
    versionStart = skipBlanks(line, versionStart);
    const keyword = httpKeywordAt(line, versionStart);
    if (keyword !== 0) {
      if (keyword === 2 && !weirds.includes("lowercase_HTTP_keyword")) weirds.push("lowercase_HTTP_keyword");
      break;
    }
  }
  const method = line.slice(0, methodEnd);
  const uri = line.slice(rest, uriEnd);
  let version: string | undefined;
  if (versionStart >= end) {
    // HTTP/0.9: Zeek takes it only with a method of three or more characters and a URI. We also
    // want the method in upper case (as every registered method is), or any line of prose would
    // be a request: "hello there" has neither a version nor a method to prove it.
    if (methodEnd < 3 || uri.length === 0 || !UPPER_METHOD.test(line.slice(0, methodEnd)))
      return "bad_HTTP_request";
    version = "0.9";
    if (method !== "GET") weirds.push("invalid_http_09_request_method");
  } else if (versionStart + 8 <= end) {
    version = readVersion(line, versionStart + 5) ?? UNREADABLE_VERSION;
    if (version === UNREADABLE_VERSION) weirds.push("bad_HTTP_version");
  } else {
    weirds.push("bad_HTTP_version");
  }
  return { method, uri, version, weirds };
}

/**
 * The version part of an over-long request line's last bytes (" HTTP/1.1"), so a line truncated
 * in its URI keeps its version; "" when the tail holds none.
 */
export function versionSuffix(tail: string): string {
  const match = /[ \t]+HTTP\/[^ \t]*[ \t]*$/i.exec(tail);
  return match ? match[0] : "";
}
