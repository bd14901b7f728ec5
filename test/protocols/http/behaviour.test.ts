// HTTP framing cases on real streams from the corpus (expected body lengths were computed
// independently by parsing the same fixture bytes with Python's http.client and gzip modules),
// plus truncated, gapped and malformed variants of them.

import { describe, expect, it } from "vitest";
import { http, MAX_HEADER_BLOCK_BYTES } from "../../../sensor-ami/src/protocols/http/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { fixtureUrl, runHttpFixture } from "./corpus-runs.js";
import { loadStreams, recordingContext, replay, type StreamFixture } from "./stream-fixture.js";

const stream = (name: string, index = 0): StreamFixture => loadStreams(fixtureUrl(name))[index];

function run(fixture: StreamFixture) {
  const { ctx, out } = recordingContext();
  replay(http.create!(ctx), fixture);
  return { records: out.logs.map((l) => l.record), out };
}

function feed(requests: string[], replies: string[]) {
  const { ctx, out } = recordingContext();
  const analyzer = http.create!(ctx);
  requests.forEach((r, i) => {
    analyzer.data(true, Buffer.from(r, "latin1"), 100 + i);
    if (replies[i] !== undefined) analyzer.data(false, Buffer.from(replies[i], "latin1"), 100.5 + i);
  });
  analyzer.end(200);
  return { records: out.logs.map((l) => l.record), out };
}

describe("bodies", () => {
  it("de-chunks chunked replies and keeps keep-alive order (four_ipv6_http_streams.pcap, IPv6)", () => {
    // Act
    const [first] = runHttpFixture("ipv6-streams.json");
    // Assess: http.client gives 2056 (Content-Length), 1451 (chunked), 8010 (Content-Length).
    expect(first.records.map((r) => [r.uri, r.response_body_len, r.resp_mime_types])).toEqual([
      ["/", 2056, ["text/html"]],
      ["/header.shtml", 1451, ["text/html"]],
      ["/images/logo.jpg", 8010, ["image/jpeg"]],
    ]);
    expect(first.records.map((r) => r.trans_depth)).toEqual([1, 2, 3]);
    expect(first.out.weirds).toEqual([]);
  });

  it("measures a chunked gzip body after decoding, as Zeek does (1kxun.pcap stream 1)", () => {
    // Act
    const { records } = run(stream("ndpi-1kxun.json", 0));
    // Assess: 984 bytes on the wire de-chunked, 1847 once gunzipped (Python gzip).
    expect(records).toHaveLength(1);
    expect(records[0].response_body_len).toBe(1847);
    expect(records[0].resp_mime_types).toEqual(["text/plain"]);
  });

  it("handles Expect: 100-continue with the body sent after the interim reply (1kxun.pcap stream 13)", () => {
    // Act
    const { records, out } = run(stream("ndpi-1kxun.json", 1));
    // Assess: Content-Length 445 and 437 on the two POSTs; 163-byte XML replies.
    expect(
      records.map((r) => [
        r.method,
        r.uri,
        r.request_body_len,
        r.info_code,
        r.info_msg,
        r.status_code,
        r.response_body_len,
      ]),
    ).toEqual([
      ["POST", "/getvinfo", 445, 100, "Continue", 200, 163],
      ["POST", "/getvkey", 437, 100, "Continue", 200, 163],
    ]);
    expect(records[0].orig_mime_types).toEqual(["text/plain"]);
    expect(records[0].resp_mime_types).toEqual(["application/xml"]);
    expect(out.weirds).toEqual([]);
  });

  it("stops at an accepted CONNECT: the tunnelled TLS is not parsed as HTTP (http_connect.pcap)", () => {
    // Act
    const { records, out } = run(stream("ndpi-http-connect.json"));
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      method: "CONNECT",
      uri: "apache.org:443",
      host: "apache.org",
      status_code: 200,
      status_msg: "Connection Established",
      version: "1.0",
      response_body_len: 0,
      proxied: ["PROXY-CONNECTION -> keep-alive"],
    });
    expect(out.weirds).toEqual([]);
    expect(out.violations).toEqual([]);
  });

  it("hands the connection over once the CONNECT is accepted, after logging it (http_connect.pcap)", () => {
    // Prepare: a context with the switchProtocol capability, recording call order.
    const fixture = stream("ndpi-http-connect.json");
    const { ctx, out } = recordingContext();
    const order: string[] = [];
    const withSwitch = {
      ...ctx,
      log: (path: string, record: Parameters<typeof ctx.log>[1]) => {
        order.push(`log:${path}`);
        ctx.log(path, record);
      },
      switchProtocol: () => order.push("switchProtocol"),
    };
    // Act
    replay(http.create!(withSwitch), fixture);
    // Assess
    expect(order).toEqual(["log:http", "switchProtocol"]);
    expect(out.logs).toHaveLength(1);
  });

  it("hands over after 101 Switching Protocols (RFC 6455 §1.2 opening handshake)", () => {
    const { ctx } = recordingContext();
    let switches = 0;
    const analyzer = http.create!({ ...ctx, switchProtocol: () => switches++ });
    analyzer.data(
      true,
      Buffer.from("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\r\n"),
      1,
    );
    analyzer.data(
      false,
      Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
      2,
    );
    analyzer.data(false, Buffer.from("\x81\x05hello"), 3);
    analyzer.end(4);
    expect(switches).toBe(1);
  });

  it("expects no body after HEAD, 204 and 304 even when Content-Length is present (RFC 9110 §6.4.1 cases)", () => {
    // Prepare: no HEAD in the corpus; these follow RFC 9110's rules with an illustrative exchange.
    const { records, out } = feed(
      [
        "HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /c HTTP/1.1\r\nHost: h\r\n\r\n",
      ],
      [
        "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      ],
    );
    // Assess
    expect(records.map((r) => [r.uri, r.status_code, r.response_body_len])).toEqual([
      ["/a", 200, 0],
      ["/b", 204, 0],
      ["/c", 200, 5],
    ]);
    expect(out.weirds).toEqual([]);
  });

  it("reads chunk extensions and a trailer section, then the next pipelined reply (RFC 9112 §7.1 grammar)", () => {
    // Prepare: no trailers in the corpus; the exchange follows RFC 9112's chunked-body grammar.
    const chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n" +
      // A stray empty line before a chunk size is tolerated, as browsers do.
      "4;name=value\r\nWiki\r\n\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n" +
      "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n";
    const { records, out } = feed(
      ["GET /a HTTP/1.1\r\nHost: h\r\n\r\n", "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"],
      [chunked, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n"],
    );
    // Assess: 4 + 6 + 14 bytes of entity body.
    expect(records.map((r) => [r.uri, r.status_code, r.response_body_len, r.resp_mime_types])).toEqual([
      ["/a", 200, 24, ["text/plain"]],
      ["/b", 404, 3, ["text/plain"]],
    ]);
    expect(out.weirds).toEqual([]);
  });

  it("ends a header block at LF CR CR LF, as browsers do (HTTP evader trace in bench/bench.pcap, stream 2657)", () => {
    // Prepare: the reply of bench.pcap tcp.stream 2657 (EICAR test string, chunked).
    const reply =
      "HTTP/1.1 200 ok\r\nContent-type: application/octet-stream\r\nConnection: close\r\n" +
      "Transfer-Encoding: chunked\r\nYet-another-header: foo\n\r\r\n4\r\nX5O!\r\n4\r\nP%@A\r\n0\r\n\r\n";
    // Act
    const { records, out } = feed(
      ["GET /broken/eicar.txt/end-lfcrcrlf;chunked HTTP/1.1\r\nHost: evader.example.com\r\n\r\n"],
      [reply],
    );
    // Assess
    expect(out.weirds).toEqual([]);
    expect(records[0]).toMatchObject({ status_code: 200, status_msg: "ok", response_body_len: 8 });
  });

  it("takes the user from Basic credentials but never logs the password (RFC 7617 §2 example)", () => {
    const { records } = feed(
      [
        "GET / HTTP/1.1\r\nHost: www.example.com:8080\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n",
      ],
      ["HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"],
    );
    expect(records[0]).toMatchObject({ username: "Aladdin", host: "www.example.com", status_code: 401 });
    expect(records[0].password).toBeUndefined();
  });
});

describe("damaged input", () => {
  it("a gap inside a Content-Length body keeps the framing and counts only bytes seen (http/get.pcap)", () => {
    // Prepare: drop the reply's third segment (frame 8, 1448 bytes) and report it as a gap.
    const original = stream("http-get.json");
    const segments = original.segments.map((s) =>
      s.frame === 8 ? { frame: 8, ts: s.ts, orig: false, gap: s.hex!.length / 2 } : s,
    );
    // Act
    const { records, out } = run({ ...original, segments });
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0].status_code).toBe(200);
    expect(records[0].response_body_len).toBe(4705 - 1448);
    expect(out.weirds).toEqual([]);
  });

  it("a gap in the headers ends the message with a weird instead of guessing (http/get.pcap)", () => {
    const original = stream("http-get.json");
    const reply = original.segments.find((s) => !s.orig)!;
    const segments = [original.segments[0], { frame: reply.frame, ts: reply.ts, orig: false, gap: 100 }];
    const { records, out } = run({ ...original, segments });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ method: "GET", uri: "/download/CHANGES.bro-aux.txt" });
    expect(records[0].status_code).toBeUndefined();
    expect(out.weirds.map((w) => w.name)).toEqual(["http_content_gap"]);
  });

  it("after a gap that swallows a whole reply, parsing resumes at the next status line (pipelined-requests.pcap)", () => {
    // Prepare: frame 7 starts the reply to request 2 (/script/urchin.js); report it as a gap.
    const original = stream("http-pipelined.json");
    const segments = original.segments.map((s) =>
      s.frame === 7 ? { frame: 7, ts: s.ts, orig: false, gap: s.hex!.length / 2 } : s,
    );
    // Act
    const { records, out } = run({ ...original, segments });
    // Assess: request 2 is logged without a reply instead of being paired with reply 3; replies
    // 3-5 are found again and agree with Zeek's baseline (94, 2349, 27579 bytes).
    expect(out.weirds.map((w) => w.name)).toEqual(["http_content_gap"]);
    expect(records.map((r) => [r.trans_depth, r.uri, r.status_code, r.response_body_len])).toEqual([
      [1, "/style/enhanced.css", 200, 2675],
      [2, "/script/urchin.js", undefined, 0],
      [3, "/images/template/screen/bullet_utility.png", 200, 94],
      [4, "/images/template/screen/key-point-top.png", 200, 2349],
      [5, "/projects/calendar/images/header-sunbird.png", 200, 27579],
    ]);
  });

  it("a reply whose start was not captured is not paired with the next status line (1kxun.pcap, mid-connection)", () => {
    // Prepare: the capture joins 192.168.2.126:45422 mid-connection; the reply to the first GET
    // arrives without its status line (frames 1175-1176), tshark finds status lines at 1301/1320.
    const midstream = stream("ndpi-1kxun.json", 2);
    // Act
    const { records, out } = run(midstream);
    // Assess
    expect(out.weirds.map((w) => w.name)).toEqual(["bad_HTTP_reply"]);
    expect(records.map((r) => [r.uri, r.status_code, r.resp_mime_types])).toEqual([
      ["/js/application.min.js?1644808200", undefined, undefined],
      ["/images/detail_revision/go_homepage.png", 200, ["image/png"]],
      ["/images/detail_revision/action_bar_5.png", 200, ["image/png"]],
    ]);
  });

  it("a connection cut inside the reply's start line or headers still logs the request (http/get.pcap)", () => {
    const original = stream("http-get.json");
    const reply = original.segments.find((s) => !s.orig)!;
    const cutAt = (bytes: number) => {
      const cut = { ...reply, hex: reply.hex!.slice(0, 2 * bytes) };
      return run({ ...original, segments: [original.segments[0], cut] }).records;
    };
    // 10 bytes: "HTTP/1.1 2" — no complete status line.
    const noStatus = cutAt(10);
    expect(noStatus).toHaveLength(1);
    expect(noStatus[0]).toMatchObject({
      method: "GET",
      host: "bro.org",
      version: "1.1",
      response_body_len: 0,
    });
    expect(noStatus[0].status_code).toBeUndefined();
    // 60 bytes: the status line arrived, the header block did not.
    expect(cutAt(60)[0]).toMatchObject({ status_code: 200, status_msg: "OK", response_body_len: 0 });
  });

  it("a connection cut inside a Content-Length body logs the bytes that arrived", () => {
    const original = stream("http-get.json");
    const segments = original.segments.filter((s) => s.frame !== 9);
    const { records } = run({ ...original, segments });
    expect(records[0].response_body_len).toBe(4705 - 663);
    expect(records[0].status_code).toBe(200);
  });

  it("non-HTTP bytes on a fresh connection are a violation, not a record (TLS from http_connect.pcap)", () => {
    const tls = stream("ndpi-http-connect.json").segments.find((s) => s.frame === 12)!;
    const { records, out } = run({ capture: "x", stream: 0, originator: "x", segments: [tls] });
    expect(records).toEqual([]);
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]).toMatch(/not an HTTP request line/);
  });

  it("reports a header block over the limit with weirds, logs the request and parses the next one", () => {
    const huge = `GET / HTTP/1.1\r\nHost: h\r\nX-Padding: ${"a".repeat(MAX_HEADER_BLOCK_BYTES)}\r\n\r\n`;
    const { records, out } = feed([huge, "GET /next HTTP/1.1\r\nHost: h2\r\n\r\n"], []);
    // The padding line is cut (contentline_size_exceeded), the block is reported once.
    expect(out.weirds.map((w) => w.name).sort()).toEqual([
      "contentline_size_exceeded",
      "http_header_too_large",
    ]);
    expect(records.map((r) => [r.method, r.uri, r.host])).toEqual([
      ["GET", "/", "h"],
      ["GET", "/next", "h2"],
    ]);
  });

  it("reports a malformed chunk size (four_ipv6_http_streams.pcap with the size line corrupted)", () => {
    const original = stream("ipv6-streams.json");
    const segments = original.segments.map((s) => {
      if (!s.hex) return s;
      const text = Buffer.from(s.hex, "hex").toString("latin1");
      return text.includes("\r\n\r\n568\r\n")
        ? {
            ...s,
            hex: Buffer.from(text.replace("\r\n\r\n568\r\n", "\r\n\r\nz68\r\n"), "latin1").toString("hex"),
          }
        : s;
    });
    const { records, out } = run({ ...original, segments });
    expect(out.weirds.map((w) => w.name)).toEqual(["http_bad_chunk_size"]);
    expect(records.map((r) => r.uri)).toEqual(["/", "/header.shtml", "/images/logo.jpg"]);
    expect(records[1].status_code).toBe(200);
  });
});

describe("probe", () => {
  it("recognises request and status lines on any port, and nothing else", () => {
    const get = stream("http-get.json");
    const first = (orig: boolean) => Buffer.from(get.segments.find((s) => s.orig === orig)!.hex!, "hex");
    expect(http.probe(first(true), true)).toBe(ProbeResult.Yes);
    expect(http.probe(first(false), false)).toBe(ProbeResult.Yes);
    // CONNECT to a proxy on port 8080 (http_connect.pcap frame 4).
    const connect = Buffer.from(stream("ndpi-http-connect.json").segments[0].hex!, "hex");
    expect(http.probe(connect, true)).toBe(ProbeResult.Yes);
    // HTTP/0.9 simple request (mixed-vlan-mpls.pcap frame 37): plausible only.
    const simple = Buffer.from(stream("mixed-vlan-mpls.json", 1).segments[0].hex!, "hex");
    expect(http.probe(simple, true)).toBe(ProbeResult.Maybe);
    // ...and its reply is the bare document (frame 39): plausible only, so both sides must agree.
    const document = Buffer.from(stream("mixed-vlan-mpls.json", 1).segments[1].hex!, "hex");
    expect(http.probe(document, false)).toBe(ProbeResult.Maybe);
    expect(http.probe(Buffer.from("SSH-2.0-OpenSSH_6.7\r\n"), true)).toBe(ProbeResult.No);
    expect(http.probe(Buffer.from("220 mail ESMTP\r\n"), false)).toBe(ProbeResult.No);
    expect(http.probe(Buffer.from("GET /partial-uri-without-end"), true)).toBe(ProbeResult.Maybe);
  });
});
