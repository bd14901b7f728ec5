// Malformed and unusual request lines (issue #10, A2) and over-long lines (A8), on the real
// exchange of zeek/http__get.pcap (TCP stream 0: wget's GET and Apache's 4705-byte reply) with
// the request line replaced. Expected values follow Zeek's HTTP_Analyzer::HTTP_RequestLine and
// ParseRequest (src/analyzer/protocol/http/HTTP.cc).

import { describe, expect, it } from "vitest";
import { http } from "../../../sensor-ami/src/protocols/http/index.js";
import { MAX_HEADER_BLOCK_BYTES, MAX_LINE_BYTES } from "../../../sensor-ami/src/protocols/http/limits.js";
import { parseRequestLine } from "../../../sensor-ami/src/protocols/http/request-line.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { fixtureUrl } from "./corpus-runs.js";
import { loadStreams, recordingContext, replay, type StreamFixture } from "./stream-fixture.js";

const GET = loadStreams(fixtureUrl("http-get.json"))[0];
const REAL_LINE = "GET /download/CHANGES.bro-aux.txt HTTP/1.1";

/** The real exchange with its request line replaced (the headers and the reply stay as captured). */
function withRequestLine(line: string, base: StreamFixture = GET): StreamFixture {
  const segments = base.segments.map((s) => {
    if (!s.orig || !s.hex) return s;
    const text = Buffer.from(s.hex, "hex").toString("latin1");
    return { ...s, hex: Buffer.from(text.replace(REAL_LINE, line), "latin1").toString("hex") };
  });
  return { ...base, segments };
}

/** The exchange `times` times over one connection (keep-alive), each request with its own line. */
function keepAlive(lines: string[]): StreamFixture {
  const segments = lines.flatMap((line, i) =>
    withRequestLine(line).segments.map((s) => ({ ...s, ts: s.ts + i })),
  );
  return { ...GET, segments };
}

function run(fixture: StreamFixture) {
  const { ctx, out } = recordingContext();
  replay(http.create!(ctx), fixture);
  return { records: out.logs.map((l) => l.record), weirds: out.weirds.map((w) => w.name), out };
}

describe("request lines Zeek accepts are logged, reply still paired (A2)", () => {
  it.each([
    // [request line, method, uri, weirds]
    ["GET / HTTP/1.", "GET", "/", ["bad_HTTP_version"]],
    ["GET HTTP/1.1", "GET", "", ["missing_HTTP_uri"]],
    ["PROPFIND /download/ HTTP/1.1", "PROPFIND", "/download/", []],
    ["TRACE /download/CHANGES.bro-aux.txt HTTP/1.0", "TRACE", "/download/CHANGES.bro-aux.txt", []],
    ["X-MY_METHOD /x HTTP/1.1", "X-MY_METHOD", "/x", []],
    ["GET /a file.txt HTTP/1.1", "GET", "/a file.txt", []],
    ["GET /\xe9t\xe9 HTTP/1.1", "GET", "/\xe9t\xe9", []],
    ["GET /x http/1.1", "GET", "/x", ["lowercase_HTTP_keyword"]],
  ])("%j", (line, method, uri, weirds) => {
    // Act
    const { records, weirds: seen } = run(withRequestLine(line));
    // Assess: one transaction, the captured reply (200, 4705 bytes) paired with it.
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      method,
      uri,
      host: "bro.org",
      version: "1.1",
      status_code: 200,
      response_body_len: 4705,
      user_agent: "Wget/1.14 (darwin12.2.0)",
    });
    expect(seen).toEqual(weirds);
  });

  it("keeps the request's own version when there is no reply, '0.0' when it cannot be read", () => {
    // Prepare: the request alone.
    const requestOnly = (line: string) => ({
      ...withRequestLine(line),
      segments: withRequestLine(line).segments.filter((s) => s.orig),
    });
    // Act / Assess
    expect(run(requestOnly("GET HTTP/1.0")).records[0].version).toBe("1.0");
    expect(run(requestOnly("GET / HTTP/x.y")).records[0].version).toBe("0.0");
    expect(run(requestOnly("GET / HTTP/1.")).records[0].version).toBe("0.0");
  });

  it("a line Zeek rejects is a weird; the requests around it keep their replies (keep-alive)", () => {
    // Act: method alone (Zeek: bad_HTTP_request) and no method (bad_HTTP_request_with_version),
    // each between good requests.
    const { records, weirds } = run(
      keepAlive([
        REAL_LINE,
        "GET",
        "GET /second HTTP/1.1",
        "/download/CHANGES.bro-aux.txt HTTP/1.1",
        "GET /again HTTP/1.1",
      ]),
    );
    // Assess: the rejected requests' replies arrive unmatched and are logged alone, as Zeek does;
    // the rejected requests' header lines are skipped up to the next request line, silently.
    expect(records.map((r) => [r.method, r.uri, r.status_code, r.response_body_len])).toEqual([
      ["GET", "/download/CHANGES.bro-aux.txt", 200, 4705],
      [undefined, undefined, 200, 4705],
      ["GET", "/second", 200, 4705],
      [undefined, undefined, 200, 4705],
      ["GET", "/again", 200, 4705],
    ]);
    expect(weirds).toEqual([
      "bad_HTTP_request",
      "unmatched_HTTP_reply",
      "bad_HTTP_request_with_version",
      "unmatched_HTTP_reply",
    ]);
  });
});

describe("parseRequestLine against Zeek's rules", () => {
  it.each([
    ["GET /x HTTP/1.1", { method: "GET", uri: "/x", version: "1.1", weirds: [] }],
    ["GET /x", { method: "GET", uri: "/x", version: "0.9", weirds: [] }],
    ["POST /x", { method: "POST", uri: "/x", version: "0.9", weirds: ["invalid_http_09_request_method"] }],
    ["GET  /x   HTTP/1.0", { method: "GET", uri: "/x", version: "1.0", weirds: [] }],
    ["GET /x HTTP/1.1 trailing", { method: "GET", uri: "/x", version: "1.1", weirds: [] }],
    ["GET /x HTTP/", { method: "GET", uri: "/x", version: undefined, weirds: ["bad_HTTP_version"] }],
  ])("%j", (line, expected) => {
    expect(parseRequestLine(line)).toEqual(expected);
  });

  it.each([
    ["GET", "bad_HTTP_request"],
    ["GET/x HTTP/1.1", "bad_HTTP_request"],
    [" GET /x HTTP/1.1", "bad_HTTP_request_with_version"],
    ["/x HTTP/1.1", "bad_HTTP_request_with_version"],
    ["GE /x", "bad_HTTP_request"],
    ["\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "bad_HTTP_request"],
  ])("%j is rejected as %s", (line, weird) => {
    expect(parseRequestLine(line)).toBe(weird);
  });
});

describe("probe on complete first lines", () => {
  const probe = (line: string) => http.probe(Buffer.from(`${line}\r\nHost: bro.org\r\n\r\n`, "latin1"), true);

  it.each([
    "GET / HTTP/1.",
    "GET HTTP/1.1",
    "PROPFIND /dav/ HTTP/1.1",
    "TRACE / HTTP/1.0",
    "CONNECT bro.org:443 HTTP/1.1",
    "GET /a b HTTP/1.1",
    "GET /\xe9 HTTP/1.1",
  ])("%j is Yes", (line) => {
    expect(probe(line)).toBe(ProbeResult.Yes);
  });

  it.each(["GET /x", "PROPFIND /x"])("%j (HTTP/0.9) is Maybe", (line) => {
    expect(probe(line)).toBe(ProbeResult.Maybe);
  });

  it.each([
    "PRI * HTTP/2.0",
    "HELLO world",
    "EHLO mail.example.com",
    "GET",
    "OPTIONS rtsp://cam/stream RTSP/1.0",
    "SSH-2.0-OpenSSH_9.6",
  ])("%j is No", (line) => {
    expect(probe(line)).toBe(ProbeResult.No);
  });
});

describe("lines over the limit (A8)", () => {
  it("a URI over the line limit is logged truncated, with its version, a weird, and the reply paired", () => {
    // Prepare: the real request with its URI padded past MAX_LINE_BYTES.
    const longUri = `/download/CHANGES.bro-aux.txt?pad=${"a".repeat(MAX_LINE_BYTES)}`;
    const fixture = withRequestLine(`GET ${longUri} HTTP/1.0`);
    // Act: also re-split the request into small deliveries, so the cut falls inside a delivery.
    const { ctx, out } = recordingContext();
    replay(http.create!(ctx), fixture, (_i, length) =>
      Array.from({ length: length / 997 }, (_, k) => (k + 1) * 997),
    );
    const records = out.logs.map((l) => l.record);
    // Assess
    expect(records).toHaveLength(1);
    const uri = records[0].uri as string;
    expect(uri.length).toBe(MAX_LINE_BYTES - "GET ".length);
    expect(longUri.startsWith(uri)).toBe(true);
    expect(records[0]).toMatchObject({
      method: "GET",
      host: "bro.org",
      status_code: 200,
      response_body_len: 4705,
    });
    // Version 1.0 from the line's kept tail (the reply's 1.1 wins in the record, as in Zeek).
    expect(out.weirds.map((w) => w.name)).toEqual(["contentline_size_exceeded"]);
  });

  it("a header over the line limit is truncated; the headers after it still count", () => {
    // Prepare: a huge Cookie before the real headers' Host.
    const line = `${REAL_LINE}\r\nCookie: ${"c".repeat(MAX_LINE_BYTES * 2)}`;
    // Act
    const { records, weirds } = run(withRequestLine(line));
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      uri: "/download/CHANGES.bro-aux.txt",
      host: "bro.org",
      status_code: 200,
    });
    expect(weirds).toEqual(["contentline_size_exceeded"]);
  });

  it("a header block over the block limit is reported once and parsing goes on", () => {
    // Prepare: many ordinary header lines, more than MAX_HEADER_BLOCK_BYTES in all.
    const filler = Array.from(
      { length: MAX_HEADER_BLOCK_BYTES / 16 },
      (_, i) => `X-F${i}: ${"f".repeat(20)}`,
    );
    const line = `${REAL_LINE}\r\n${filler.join("\r\n")}`;
    // Act
    const { records, weirds } = run(keepAlive([line, "GET /second HTTP/1.1"]));
    // Assess
    expect(weirds).toEqual(["http_header_too_large"]);
    expect(records.map((r) => [r.uri, r.host, r.status_code])).toEqual([
      ["/download/CHANGES.bro-aux.txt", "bro.org", 200],
      ["/second", "bro.org", 200],
    ]);
  });
});
