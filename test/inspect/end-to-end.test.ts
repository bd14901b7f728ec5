// Protocol inspection through the real pipeline (capture reader → engine → inspector → logs) on
// corpus captures: services identified by content on any port, protocol records stamped with the
// connection's uid/id (and VNI), analyzer faults contained, probing bounded.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeCapture } from "../../sensor-ami/src/cli/analyze.js";
import { main } from "../../sensor-ami/src/cli/main.js";
import type { WeirdSink } from "../../sensor-ami/src/engine/hooks.js";
import {
  type AnalyzerRegistry,
  buildInspector,
  type ProtocolInspector,
  WEIRD_ANALYZER_ERROR,
} from "../../sensor-ami/src/inspect/index.js";
import type { LogSink } from "../../sensor-ami/src/logs/writer.js";
import { dnsTcp, dnsUdp } from "../../sensor-ami/src/protocols/dns/index.js";
import { http } from "../../sensor-ami/src/protocols/http/index.js";
import { ssh } from "../../sensor-ami/src/protocols/ssh/index.js";
import { SSH_SCHEMA } from "../../sensor-ami/src/protocols/ssh/schema.js";
import { tls } from "../../sensor-ami/src/protocols/tls/index.js";
import type { StreamAnalyzerFactory } from "../../sensor-ami/src/protocols/types.js";
import { CORPUS_DIR, corpusAvailable, type RunOutput, runCapture } from "../support/corpus.js";

type Rec = Record<string, unknown>;
const dirs: string[] = [];

function inspect(capture: string, registry?: AnalyzerRegistry): RunOutput & { inspector: ProtocolInspector } {
  let inspector: ProtocolInspector | undefined;
  const run = runCapture(capture, {
    inspector: (weirds: WeirdSink, sink: LogSink) => {
      inspector = buildInspector(weirds, sink, registry);
      return inspector;
    },
  });
  dirs.push(run.dir);
  return { ...run, inspector: inspector! };
}

function records(run: RunOutput, log: string): Rec[] {
  return run.logs.get(log) ?? [];
}

function connOn(run: RunOutput, port: number): Rec {
  const c = records(run, "conn").find((r) => r["id.orig_p"] === port || r["id.resp_p"] === port);
  if (c === undefined) throw new Error(`no connection on port ${port}`);
  return c;
}

/** The connection fields every protocol record carries, taken from its conn.log record. */
function idOf(conn: Rec): Rec {
  const out: Rec = {};
  for (const k of ["uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]) out[k] = conn[k];
  return out;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!corpusAvailable())("inspection end to end", () => {
  it("identifies SSH on port 80 by content, not as HTTP (zeek/ssh__ssh-on-port-80.pcap)", () => {
    // Act
    const run = inspect("zeek/ssh__ssh-on-port-80.pcap");
    // Assess
    const conn = connOn(run, 80);
    expect(conn.service).toBe("ssh");
    const sshRecs = records(run, "ssh");
    expect(sshRecs.length).toBe(1);
    expect(sshRecs[0]).toMatchObject(idOf(conn));
    expect(records(run, "http")).toEqual([]);
  });

  it("inspects HTTP inside VXLAN and stamps the inner connection and its VNI (zeek/tunnels__vxlan-encapsulated-http.pcap)", () => {
    // Act
    const run = inspect("zeek/tunnels__vxlan-encapsulated-http.pcap");
    // Assess
    const outer = connOn(run, 4789);
    const inner = connOn(run, 80);
    expect(outer.service).toBe("vxlan");
    expect(inner.service).toBe("http");
    const http = records(run, "http");
    expect(http.length).toBe(1);
    expect(http[0]).toMatchObject({ ...idOf(inner), vni: inner.vni, method: "GET", host: "eu.httpbin.org" });
    // Connection fields come right after ts, as in Zeek's logs.
    expect(Object.keys(http[0]).slice(0, 6)).toEqual([
      "ts",
      "uid",
      "id.orig_h",
      "id.orig_p",
      "id.resp_h",
      "id.resp_p",
    ]);
  });

  it("identifies DNS over UDP and pairs dns.log with its connection (zeek/dns53.pcap)", () => {
    // Act
    const run = inspect("zeek/dns53.pcap");
    // Assess
    const conn = connOn(run, 53);
    expect(conn).toMatchObject({ proto: "udp", service: "dns" });
    expect(records(run, "dns")).toEqual([
      expect.objectContaining({ ...idOf(conn), query: "us.v27.distributed.net" }),
    ]);
  });

  it("identifies DNS over TCP: a 1,732-byte DNSKEY reply carried in IP fragments (ndpi/dns_fragmented.pcap)", () => {
    // Act
    const run = inspect("ndpi/dns_fragmented.pcap");
    // Assess
    const tcpDns = records(run, "conn").filter((r) => r.proto === "tcp");
    expect(tcpDns.length).toBe(2);
    for (const conn of tcpDns) {
      expect(conn.service).toBe("dns");
      const recs = records(run, "dns").filter((r) => r.uid === conn.uid);
      expect(recs).toEqual([expect.objectContaining({ proto: "tcp", query: "weberlab.de" })]);
      // tshark: dns.count.answers = 4 (two DNSKEY, two RRSIG) in frames 50 and 62.
      expect((recs[0].answers as string[]).length).toBe(4);
    }
  });

  it("identifies HTTP on an unusual port (pcapplusplus/http-packets.pcap, server port 31600)", () => {
    // Act
    const run = inspect("pcapplusplus/http-packets.pcap");
    // Assess
    const onOddPort = records(run, "conn").filter((r) => r["id.resp_p"] === 31600);
    expect(onOddPort.length).toBeGreaterThan(3);
    for (const conn of onOddPort) expect(conn.service).toBe("http");
    expect(records(run, "http").filter((r) => r["id.resp_p"] === 31600).length).toBeGreaterThan(10);
  });

  it("attaches HTTP to an HTTP/0.9 request on port 80, which probes can only call Maybe (zeek/mixed-vlan-mpls.pcap)", () => {
    // Act
    const run = inspect("zeek/mixed-vlan-mpls.pcap");
    // Assess
    const conn = connOn(run, 50343);
    expect(conn.service).toBe("http");
    expect(records(run, "http").filter((r) => r.uid === conn.uid)).toEqual([
      expect.objectContaining({ method: "GET", uri: "/" }),
    ]);
  });

  it("skips a keep-alive byte that starts a partial connection (pcapplusplus/many-protocols.pcap, port 55193)", () => {
    // Act
    const run = inspect("pcapplusplus/many-protocols.pcap");
    // Assess
    const conn = connOn(run, 55193);
    const http = records(run, "http").filter((r) => r.uid === conn.uid);
    expect(http.map((r) => [r.method, r.host, r.status_code])).toEqual([
      ["GET", "ping.chartbeat.net", 200],
      ["GET", "ping.chartbeat.net", 200],
    ]);
  });

  it("changes nothing in conn.log but `service` (zeek/http__pipelined-requests.pcap, zeek/ssh__ssh.pcap)", () => {
    for (const capture of ["zeek/http__pipelined-requests.pcap", "zeek/ssh__ssh.pcap"]) {
      // Act
      const plain = runCapture(capture);
      dirs.push(plain.dir);
      const inspected = inspect(capture);
      // Assess
      const strip = (r: Rec) => {
        const { service: _service, ...rest } = r;
        return rest;
      };
      const plainConns = records(plain, "conn");
      expect(records(inspected, "conn").map(strip)).toEqual(plainConns.map(strip));
      expect(records(inspected, "conn").filter((r) => r.service !== undefined).length).toBeGreaterThan(0);
      expect(plainConns.filter((r) => r.service !== undefined)).toEqual([]);
      expect([...plain.logs.keys()].sort()).toEqual(["conn", "weird"]);
    }
  });

  it("flips a DNS conversation whose first message is a reply, as Zeek's dns.flip baseline does (zeek/dns53.pcap)", () => {
    // Prepare: without inspection the first packet's sender is the originator
    const plain = runCapture("zeek/dns53.pcap");
    dirs.push(plain.dir);
    // Act
    const run = inspect("zeek/dns53.pcap");
    // Assess: scripts.base.protocols.dns.flip/dns.log has 10.20.1.31 → 207.158.192.40
    expect(connOn(plain, 53)["id.orig_h"]).toBe("207.158.192.40");
    expect(connOn(run, 53)).toMatchObject({
      "id.orig_h": "10.20.1.31",
      "id.resp_h": "207.158.192.40",
      resp_pkts: 1,
      orig_pkts: 0,
      history: "D^",
    });
    expect(records(run, "dns")[0]).toMatchObject({
      "id.orig_h": "10.20.1.31",
      "id.resp_h": "207.158.192.40",
    });
  });

  it("contains a throwing analyzer: weird analyzer_error, detached, other analyzers unaffected", () => {
    // Prepare: a real SSH probe in front of an analyzer that throws on its first bytes
    const broken: StreamAnalyzerFactory = {
      ...ssh,
      create: () => ({
        data: () => {
          throw new RangeError("index out of range");
        },
        gap: () => {},
        end: () => {},
      }),
    };
    // Act
    const run = inspect("zeek/ssh__ssh.pcap", { stream: [broken], datagram: [dnsUdp] });
    // Assess
    expect(run.inspector.stats.analyzerErrors).toBeGreaterThan(0);
    const weirds = records(run, "weird").filter((w) => w.name === WEIRD_ANALYZER_ERROR);
    expect(weirds.length).toBeGreaterThan(0);
    expect(weirds[0]).toMatchObject({ source: "SSH", addl: "ssh: RangeError: index out of range" });
    expect(records(run, "conn").filter((r) => r.service === "ssh")).toEqual([]);
    expect(records(run, "ssh")).toEqual([]);
  });

  it("detects TLS again after an analyzer hands the stream over (HTTP CONNECT, ndpi/http_connect.pcap)", () => {
    // Prepare: the real HTTP analyzer, plus the hand-over call an analyzer makes once a CONNECT is
    // accepted (HTTP's own analyzer does not make it yet: this stands in for it)
    const httpWithHandOver: StreamAnalyzerFactory = {
      ...http,
      create: (ctx) => {
        const inner = http.create!(ctx);
        let connect = false;
        return {
          data: (isOrig, bytes, ts) => {
            inner.data(isOrig, bytes, ts);
            const text = Buffer.from(bytes).toString("latin1");
            if (isOrig && text.startsWith("CONNECT ")) connect = true;
            if (!isOrig && connect && /^HTTP\/1\.[01] 2\d\d [\s\S]*\r\n\r\n$/.test(text)) {
              ctx.switchProtocol?.();
            }
          },
          gap: (isOrig, length, ts) => inner.gap(isOrig, length, ts),
          end: (ts) => inner.end(ts),
        };
      },
    };
    // Act
    const plain = inspect("ndpi/http_connect.pcap");
    const run = inspect("ndpi/http_connect.pcap", {
      stream: [httpWithHandOver, tls, ssh, dnsTcp],
      datagram: [dnsUdp],
    });
    // Assess: the proxy connection (client port 1714 → proxy 8080) is http, then ssl inside — with
    // the real HTTP analyzer (which hands over after an accepted CONNECT) and with the stand-in.
    expect(connOn(plain, 1714).service).toBe("http,ssl");
    const conn = connOn(run, 1714);
    expect(conn.service).toBe("http,ssl");
    expect(records(run, "http").filter((r) => r.uid === conn.uid)).toEqual([
      expect.objectContaining({ method: "CONNECT", status_code: 200 }),
    ]);
    expect(records(run, "ssl").filter((r) => r.uid === conn.uid)).toEqual([
      expect.objectContaining({ server_name: "apache.org", ja3: "c834494f5948ae026d160656c93c8871" }),
    ]);
  });

  it("gives up probing after the first bytes of each direction when nothing matches", () => {
    // Prepare: only SSH can be attached, and the capture is an HTTP download of 14 packets
    let probes = 0;
    const counting: StreamAnalyzerFactory = {
      ...ssh,
      probe: (bytes, isOrig) => {
        probes++;
        return ssh.probe(bytes, isOrig);
      },
    };
    // Act
    const run = inspect("zeek/http__get.pcap", { stream: [counting], datagram: [] });
    // Assess: one probe per direction, then the connection is left alone
    expect(probes).toBe(2);
    expect(run.inspector.stats.unidentified).toBe(1);
    expect(run.inspector.stats.attached.size).toBe(0);
    expect(connOn(run, 80).service).toBeUndefined();
  });

  it("labels protocols without an analyzer of their own: telnet over TCP, NTP over UDP", () => {
    // Act
    const telnet = inspect("zeek/mixed-vlan-mpls.pcap");
    const ntp = inspect("ndpi/android.pcap");
    // Assess
    expect(connOn(telnet, 23).service).toBe("telnet");
    const ntpConns = records(ntp, "conn").filter((r) => r["id.resp_p"] === 123);
    expect(ntpConns.length).toBeGreaterThan(0);
    for (const conn of ntpConns) expect(conn.service).toBe("ntp");
    expect([...telnet.logs.keys()].sort()).toEqual(["conn", "http", "weird"]);
  });

  it("writes protocol logs as Zeek TSV with the registered columns (zeek/ssh__ssh.pcap)", () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), "spanless-tsv-"));
    dirs.push(out);
    // Act
    analyzeCapture({
      capture: join(CORPUS_DIR, "zeek/ssh__ssh.pcap"),
      outDir: out,
      format: "tsv",
      engine: { seed: 1 },
      inspector: buildInspector,
    });
    // Assess
    const lines = readFileSync(join(out, "ssh.log"), "utf8").split("\n");
    const fields = lines
      .find((l) => l.startsWith("#fields"))!
      .split("\t")
      .slice(1);
    expect(fields).toEqual(SSH_SCHEMA.map(([name]) => name));
    const rows = lines.filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split("\t"));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.length).toBe(fields.length);
    const col = (name: string) => rows[0][fields.indexOf(name)];
    expect([col("client"), col("server"), col("id.resp_p")]).toEqual([
      "SSH-2.0-OpenSSH_5.9",
      "SSH-2.0-OpenSSH_5.8",
      "22",
    ]);
  });

  it("is on by default in the CLI and off with --no-inspect", async () => {
    // Prepare
    const capture = join(CORPUS_DIR, "zeek/ssh__ssh-on-port-80.pcap");
    const on = mkdtempSync(join(tmpdir(), "spanless-on-"));
    const off = mkdtempSync(join(tmpdir(), "spanless-off-"));
    dirs.push(on, off);
    // Act
    const codeOn = await main(["analyze", capture, "--out", on, "-q"]);
    const codeOff = await main(["analyze", capture, "--out", off, "-q", "--no-inspect"]);
    // Assess
    expect([codeOn, codeOff]).toEqual([0, 0]);
    expect(existsSync(join(on, "ssh.log"))).toBe(true);
    expect(existsSync(join(off, "ssh.log"))).toBe(false);
    expect(readFileSync(join(on, "conn.log"), "utf8")).toContain('"service":"ssh"');
    expect(readFileSync(join(off, "conn.log"), "utf8")).not.toContain('"service"');
  });
});
