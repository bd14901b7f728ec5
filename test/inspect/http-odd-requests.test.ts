// Detection on odd request lines (issue #10, A2): the real exchange of zeek/http__get.pcap (TCP
// stream 0, port 80) through the inspector's per-segment path, its request line replaced. The
// analyzer must attach and log the transaction with its reply; arbitrary text must not attach it.

import { describe, expect, it } from "vitest";
import { Connection, Proto, TcpEndpoint } from "../../sensor-ami/src/engine/connection.js";
import type { WeirdSink } from "../../sensor-ami/src/engine/hooks.js";
import { defaultRegistry, ProtocolInspector } from "../../sensor-ami/src/inspect/index.js";
import type { LogRecordObject, LogSink } from "../../sensor-ami/src/logs/writer.js";
import { loadHex } from "./hex-fixture.js";

const REQUEST = Buffer.from(loadHex("http__get.stream0.orig.hex"));
const RESPONSE = loadHex("http__get.stream0.resp.hex");
const REAL_LINE = "GET /download/CHANGES.bro-aux.txt HTTP/1.1";

function exchange(requestLine: string, port = 80) {
  const records: { path: string; record: LogRecordObject }[] = [];
  const sink: LogSink = { write: (path, record) => records.push({ path, record }) };
  const weirds: string[] = [];
  const engine: WeirdSink = {
    analyzerWeird: (_c: Connection, name: string) => weirds.push(name),
    externalWeird: (name: string) => weirds.push(name),
  };
  const inspector = new ProtocolInspector(engine, sink, defaultRegistry(sink));
  const c = new Connection();
  c.proto = Proto.Tcp;
  c.uid = "CHhAvVGS1DHFjwGM9";
  c.oPort = 59856;
  c.rPort = port;
  c.orig = new TcpEndpoint();
  c.resp = new TcpEndpoint();
  const request = Buffer.from(REQUEST.toString("latin1").replace(REAL_LINE, requestLine), "latin1");
  const send = (isOrig: boolean, bytes: Uint8Array, seq: number, len: number) => {
    const buf = new Uint8Array(len + 54);
    buf.set(bytes.subarray(seq - 1, seq - 1 + len), 54);
    inspector.tcpPayload(c, isOrig, buf, 54, len, seq, 1362692526.9);
  };
  send(true, request, 1, request.length);
  for (let seq = 1; seq <= RESPONSE.length; seq += 1448)
    send(false, RESPONSE, seq, Math.min(1448, RESPONSE.length - seq + 1));
  inspector.connectionEnd(c, 1362692528);
  return { http: records.filter((r) => r.path === "http").map((r) => r.record), weirds, service: c.service };
}

describe("odd request lines on port 80 attach the HTTP analyzer", () => {
  it.each([
    ["GET / HTTP/1.", "GET", "/"],
    ["GET HTTP/1.1", "GET", ""],
    ["PROPFIND /dav/ HTTP/1.1", "PROPFIND", "/dav/"],
    ["GET /a file HTTP/1.1", "GET", "/a file"],
  ])("%j", (line, method, uri) => {
    // Act
    const { http, service } = exchange(line);
    // Assess
    expect(service).toBe("http");
    expect(http).toHaveLength(1);
    expect(http[0]).toMatchObject({ method, uri, status_code: 200, response_body_len: 4705 });
  });

  it("arbitrary text is not a request: the analyzer the reply attached leaves before logging", () => {
    // Act
    const { http, service } = exchange("hello there, this is not a request");
    // Assess: the line is replayed first, rejected before anything was confirmed (a violation).
    expect(http).toEqual([]);
    expect(service).toBe("");
  });
});
