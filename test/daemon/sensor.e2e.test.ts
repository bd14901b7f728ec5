// `spanless sensor` end to end on loopback: a real process, real sockets, real signals.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable, REPO_ROOT } from "../support/corpus.js";
import { oneSourceVniMap } from "../support/vni-map.js";
import {
  CLI,
  comparable,
  type LiveSensor,
  NODE,
  readLiveLog,
  replay,
  sendFrom,
  startSensor,
  vxlanDatagrams,
  waitForDatagrams,
  waitForFile,
} from "./support/live.js";

const LOGS = ["conn", "dns", "http", "ssl", "x509", "quic", "ssh", "dhcp", "weird"];
const running: LiveSensor[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) if (s.proc.exitCode === null) await s.stop("SIGKILL");
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "spanless-live-"));
}

async function sensor(
  args: string[],
  options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<LiveSensor> {
  const s = await startSensor(args, options);
  running.push(s);
  return s;
}

/** `spanless analyze --seed 1` of the capture's VXLAN twin (made by the corpus's vxlan-wrap.py). */
function analyzeTwin(capture: string): string {
  const dir = tmp();
  const twin = join(dir, "twin.pcap");
  const wrap = spawnSync("python3", [join(CORPUS_DIR, "..", "tools", "vxlan-wrap.py"), capture, twin], {
    encoding: "utf8",
  });
  expect(wrap.status, wrap.stderr).toBe(0);
  const out = join(dir, "out");
  const r = spawnSync(NODE, [CLI, "analyze", twin, "--out", out, "--seed", "1", "--quiet"], {
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

function framesOf(capture: string): number {
  return vxlanDatagrams(capture, 1).length;
}

describe.skipIf(!corpusAvailable())("spanless sensor, end to end", () => {
  it.each(["zeek/wikipedia.pcap", "ndpi/443-firefox.pcap"])(
    "%s replayed into the sensor logs what analyze logs for its VXLAN twin",
    async (name) => {
      // Prepare
      const capture = join(CORPUS_DIR, name);
      const out = join(tmp(), "logs");
      const metrics = join(tmp(), "metrics.log");
      const s = await sensor(["--out", out, "--workers", "1", "--seed", "1", "--metrics-file", metrics]);

      // Act
      replay(capture, s.port, ["--top", "--vni", "100"]);
      await waitForDatagrams(s, framesOf(capture));
      const code = await s.stop();
      const twin = analyzeTwin(capture);

      // Assess
      expect(code, s.stderr()).toBe(0);
      expect(s.stderr()).toMatch(/stopped: \d+ datagrams/);
      for (const log of LOGS) {
        expect(comparable(readLiveLog(out, log)), `${name} ${log}.log`).toEqual(
          comparable(readLiveLog(twin, log)),
        );
      }
      const conn = readLiveLog(out, "conn");
      expect(conn.length).toBeGreaterThan(0);
      // The last metrics line (written at stop) counts every datagram, in EMF.
      const docs = readFileSync(metrics, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const sensorDocs = docs.filter((d) => d.Packets !== undefined);
      const packets = sensorDocs.reduce((n, d) => n + (d.Packets as number), 0);
      expect(packets).toBe(framesOf(capture));
      expect(
        (sensorDocs[0]._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace,
      ).toBe("Spanless/Sensor");
      for (const r of conn) {
        expect(r.vni).toBe(100);
        expect(r.mirror_src).toBe("127.0.0.1");
        expect(r.tunnel_parents).toBeUndefined();
      }
    },
    60_000,
  );

  it("suppresses the second mirror session's copies: no duplicate records", async () => {
    // Prepare: every packet twice, from two sessions (VNIs 10 and 20, outer sources 127.0.0.1
    // and 127.0.0.2), the copy a few packets later.
    const capture = join(CORPUS_DIR, "ja4/tls3.pcapng");
    const a = vxlanDatagrams(capture, 10).map((d) => ({ bytes: d.bytes, from: "127.0.0.1" }));
    const b = vxlanDatagrams(capture, 20).map((d) => ({ bytes: d.bytes, from: "127.0.0.2" }));
    const both: { bytes: Buffer; from: string }[] = [];
    for (let i = 0; i < a.length; i++) {
      both.push(a[i]);
      if (i >= 3) both.push(b[i - 3]);
    }
    both.push(...b.slice(a.length - 3));
    const single = join(tmp(), "single");
    const mirrored = join(tmp(), "both");
    const one = await sensor(["--out", single, "--workers", "2", "--seed", "1"]);
    // The window is wide here because the copy's delay is this test's scheduling on a loaded
    // machine, not a network's (the default, 50 ms, is for two ENIs of one VPC).
    const two = await sensor(["--out", mirrored, "--workers", "2", "--seed", "1", "--dedup-window", "2000"]);

    // Act
    await sendFrom(one.port, a);
    await sendFrom(two.port, both);
    await waitForDatagrams(one, a.length);
    await waitForDatagrams(two, both.length);
    expect(await one.stop()).toBe(0);
    expect(await two.stop()).toBe(0);

    // Assess
    expect(two.stderr()).toMatch(
      new RegExp(`stopped: ${both.length} datagrams .* ${a.length} duplicate\\(s\\) suppressed`),
    );
    expect(one.stderr()).toMatch(/ 0 duplicate\(s\) suppressed/);
    for (const log of LOGS)
      expect(comparable(readLiveLog(mirrored, log)), log).toEqual(comparable(readLiveLog(single, log)));
    const conn = readLiveLog(mirrored, "conn");
    expect(new Set(conn.map((r) => r.mirror_src))).toEqual(new Set(["127.0.0.1"]));
  }, 60_000);

  it("several workers log what one worker logs, with fragments and both directions over many outer ports", async () => {
    // Prepare: replay's default source port is a non-symmetric hash, so directions differ.
    const captures = ["ndpi/ip_fragmented_garbage.pcap", "ja4/tls3.pcapng", "pcapplusplus/ip-frag.pcap"].map(
      (c) => join(CORPUS_DIR, c),
    );
    const outs = { 1: join(tmp(), "w1"), 4: join(tmp(), "w4") };
    for (const workers of [1, 4] as const) {
      const s = await sensor(["--out", outs[workers], "--workers", String(workers), "--seed", "1"]);
      let frames = 0;
      for (const c of captures) {
        replay(c, s.port, ["--top", "--source-ports", "16", "--vni", "7"]);
        frames += framesOf(c);
      }
      await waitForDatagrams(s, frames);
      expect(await s.stop(), s.stderr()).toBe(0);
    }

    // Assess: every record of traffic is the same. weird.log differs in counts only, as in a Zeek
    // cluster: each engine samples repeated weirds on its own (so more of a frequent one may be
    // logged), and judges checksum offloading from its share of a host's packets.
    for (const log of LOGS.filter((l) => l !== "weird")) {
      expect(comparable(readLiveLog(outs[4], log)), log).toEqual(comparable(readLiveLog(outs[1], log)));
    }
    const kinds = (dir: string) =>
      new Set(comparable(readLiveLog(dir, "weird").filter((r) => r.name !== "checksum_offload_detected")));
    expect(kinds(outs[4])).toEqual(kinds(outs[1]));
    expect(readLiveLog(outs[4], "conn").length).toBeGreaterThan(50);
  }, 90_000);

  it("enriches records from the VNI map and follows its changes; /healthcheck answers 200", async () => {
    // Prepare
    const dir = tmp();
    const mapFile = join(dir, "vni-map.json");
    const map = (name: string) =>
      JSON.stringify(oneSourceVniMap({ source: "127.0.0.1", name, subnetId: "subnet-0aa11bb22cc33dd44" }));
    writeFileSync(mapFile, map("web-1"));
    const out = join(dir, "logs");
    const s = await sensor(["--out", out, "--workers", "1", "--vni-map", mapFile]);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");

    // Act
    replay(capture, s.port, ["--top", "--vni", "100"]);
    await waitForDatagrams(s, framesOf(capture));
    const healthcheck = await fetch(`http://127.0.0.1:${s.healthPort}/healthcheck`);
    // The first pass's records were enriched as they were made; now the map changes.
    const loadedAt = async () =>
      ((await s.status()).snapshot as { vniMap?: { loadedAt?: number } }).vniMap?.loadedAt ?? 0;
    const firstLoad = await loadedAt();
    writeFileSync(mapFile, map("web-2"));
    s.proc.kill("SIGHUP");
    for (let i = 0; i < 200 && (await loadedAt()) === firstLoad; i++)
      await new Promise((r) => setTimeout(r, 50));
    replay(capture, s.port, ["--top", "--vni", "100"]);
    await waitForDatagrams(s, 2 * framesOf(capture));
    const vniMap = (await s.status()).report.checks.find((c) => c.name === "vni_map");
    expect(await s.stop()).toBe(0);

    // Assess
    expect(healthcheck.status).toBe(200);
    expect(vniMap?.status).toBe("OK");
    const dns = readLiveLog(out, "dns");
    expect(new Set(dns.map((r) => r.instance_name))).toEqual(new Set(["web-1", "web-2"]));
    for (const r of dns) {
      expect(r).toMatchObject({
        vni: 100,
        mirror_src: "127.0.0.1",
        instance_id: "i-0123456789abcdef0",
        vpc_id: "vpc-0a1b2c3d4e5f60718",
      });
    }
  }, 30_000);

  it("falls back to dgram when the addon cannot be loaded, says so at start and in health, and still analyses", async () => {
    const out = join(tmp(), "logs");
    const s = await sensor(["--out", out, "--workers", "1"], {
      env: { ...process.env, SPANLESS_NATIVE: "off" },
    });
    expect(s.stderr()).toMatch(/receive path dgram/);
    expect(s.stderr()).toMatch(/warning: batched receive unavailable \(.+\); using dgram/);
    const receiver = (await s.status()).report.checks.find((c) => c.name === "receiver");
    expect(receiver?.status).toBe("WARNING");
    expect(receiver?.value).toMatch(/dgram/);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    replay(capture, s.port, ["--pps", "5000"]);
    await waitForDatagrams(s, framesOf(capture));
    expect(await s.stop()).toBe(0);
    expect(readLiveLog(out, "dns").length).toBeGreaterThan(0);
  }, 30_000);

  it("listens on IPv6 and records the IPv6 mirror source", async () => {
    const out = join(tmp(), "logs");
    const s = await startSensor(["--out", out, "--workers", "1"], {}, "[::1]:0");
    running.push(s);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    const sent = spawnSync(NODE, [CLI, "replay", capture, "--to", `[::1]:${s.port}`, "--top", "-q"], {
      encoding: "utf8",
    });
    expect(sent.status, sent.stderr).toBe(0);
    await waitForDatagrams(s, framesOf(capture));
    expect(await s.stop()).toBe(0);
    const conn = readLiveLog(out, "conn");
    expect(conn.length).toBeGreaterThan(0);
    for (const r of conn) expect(r.mirror_src).toBe("::1");
  }, 30_000);

  it("an output that stops accepting writes is an ERROR and a 503; once it accepts them again nothing is lost", async () => {
    // Prepare
    const dir = tmp();
    const out = join(dir, "logs");
    const reference = join(dir, "reference");
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    const ref = await sensor(["--out", reference, "--workers", "1"]);
    replay(capture, ref.port, ["--top"]);
    await waitForDatagrams(ref, framesOf(capture));
    expect(await ref.stop()).toBe(0);
    const s = await sensor(["--out", out, "--workers", "1"]);

    // Act: the log directory becomes a file (a full or read-only disk fails the same way).
    renameSync(out, `${out}.gone`);
    writeFileSync(out, "not a directory");
    replay(capture, s.port, ["--top"]);
    await waitForDatagrams(s, framesOf(capture));
    let output: { status: string; reason: string } | undefined;
    for (let i = 0; i < 100 && output?.status !== "ERROR"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      output = (await s.status()).report.checks.find((c) => c.name === "output");
    }
    const healthcheck = await fetch(`http://127.0.0.1:${s.healthPort}/healthcheck`);
    const body = await healthcheck.text();
    unlinkSync(out);
    expect(await s.stop()).toBe(0);

    // Assess
    expect(output?.status).toBe("ERROR");
    expect(healthcheck.status).toBe(503);
    expect(body).toMatch(/output/);
    for (const log of ["dns", "http", "conn"]) {
      expect(comparable(readLiveLog(out, log)), log).toEqual(comparable(readLiveLog(reference, log)));
    }
  }, 60_000);

  it("stops on SIGTERM mid-flow within the grace time, logging every open connection, whole lines only", async () => {
    const out = join(tmp(), "logs");
    const s = await sensor(["--out", out, "--workers", "2"]);
    const sender = spawnSync(
      NODE,
      [CLI, "replay", join(CORPUS_DIR, "ja4/tls3.pcapng"), "--to", `127.0.0.1:${s.port}`, "--pps", "2000"],
      {
        timeout: 200,
      },
    );
    expect(sender.signal ?? "exited").toBeDefined();
    const t0 = Date.now();
    const code = await s.stop("SIGTERM");
    expect(code, s.stderr()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const raw = existsSync(join(out, "conn.log")) ? readFileSync(join(out, "conn.log"), "utf8") : "";
    expect(raw === "" || raw.endsWith("\n")).toBe(true);
    const received = Number(/stopped: (\d+) datagrams/.exec(s.stderr())?.[1]);
    if (received > 0) expect(readLiveLog(out, "conn").length).toBeGreaterThan(0);
  }, 30_000);

  it("SIGHUP reopens the logs: a file moved away by logrotate is replaced, nothing is lost", async () => {
    const out = join(tmp(), "logs");
    const s = await sensor(["--out", out, "--workers", "1"]);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    replay(capture, s.port, ["--top"]);
    await waitForDatagrams(s, framesOf(capture));
    // Once the worker has handed its lines on, rotate the way logrotate does.
    await waitForFile(join(out, "dns.log"));
    const moved = join(out, "dns.log.1");
    renameSync(join(out, "dns.log"), moved);
    s.proc.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 300));
    replay(capture, s.port, ["--top"]);
    await waitForDatagrams(s, 2 * framesOf(capture));
    expect(await s.stop()).toBe(0);
    expect(s.stderr()).toMatch(/log files reopened/);
    const before = readFileSync(moved, "utf8").trim().split("\n").length;
    const after = readLiveLog(out, "dns").length;
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
  }, 30_000);

  it("counts evictions and keeps running when the memory budget bites", async () => {
    // Prepare: 20,000 distinct SYNs against the smallest budget (8 MB for the engine's state).
    const out = join(tmp(), "logs");
    const s = await sensor(["--out", out, "--workers", "1", "--memory-budget", "176"]);
    const syns: { bytes: Buffer; from: string }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const d = Buffer.alloc(8 + 14 + 40);
      d[0] = 0x08;
      d[6] = 1;
      d.writeUInt16BE(0x0800, 8 + 12);
      const ip = 22;
      d.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, (i >> 8) & 0xff, i & 0xff, 1, 10, 9, 9, 9], ip);
      d.writeUInt16BE(1024 + (i % 50000), ip + 20);
      d.writeUInt16BE(443, ip + 22);
      d[ip + 32] = 0x50;
      d[ip + 33] = 0x02;
      syns.push({ bytes: d, from: "127.0.0.1" });
    }

    // Act
    await sendFrom(s.port, syns);
    await waitForDatagrams(s, syns.length);
    await new Promise((r) => setTimeout(r, 600));
    const st = await s.status();

    // Assess
    const evictions = st.snapshot.workers.reduce((n, w) => n + w.evictions, 0);
    expect(evictions).toBeGreaterThan(0);
    const connections = st.report.checks.find((c) => c.name === "connections");
    expect(connections?.status).toBe("WARNING");
    expect(s.proc.exitCode).toBeNull();
    expect(await s.stop()).toBe(0);
    expect(readLiveLog(out, "conn").length).toBe(20_000);
  }, 60_000);
});

describe("spanless sensor refuses to start, and says why", () => {
  function start(args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync(NODE, [CLI, "sensor", "--health-port", "0", ...args], {
      encoding: "utf8",
      timeout: 20_000,
    });
    return { status: r.status, stderr: r.stderr };
  }

  it("a bad config file names each field and never prints a secret", () => {
    const dir = tmp();
    const config = join(dir, "sensor.json");
    writeFileSync(
      config,
      JSON.stringify({ out: dir, listen: "everywhere", workers: -2, pushToken: "lab:short" }),
    );
    const r = start(["--config", config]);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/listen: must be/);
    expect(r.stderr).toMatch(/workers: /);
    expect(r.stderr).toMatch(/pushToken: /);
    expect(r.stderr).not.toContain("lab:short");
  });

  it("a bad local network is named before any worker starts", () => {
    const dir = tmp();
    const config = join(dir, "sensor.json");
    writeFileSync(config, JSON.stringify({ out: dir, localNets: ["10.0.0.0/8", "10.0.0.0/99"] }));
    const r = start(["--config", config]);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/localNets\.1: /);
  });

  it("a config file that is not JSON is reported without quoting it", () => {
    const dir = tmp();
    const config = join(dir, "sensor.json");
    writeFileSync(config, '{"pushToken": "abc:supersecretvalue123"');
    const r = start(["--config", config]);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(r.stderr).not.toContain("supersecret");
  });

  it("a port in use", async () => {
    const blocker = spawnSync("true");
    expect(blocker.status).toBe(0);
    const { createSocket } = await import("node:dgram");
    const s = createSocket("udp4");
    await new Promise<void>((resolve) => s.bind({ address: "127.0.0.1", port: 0 }, resolve));
    const port = s.address().port;
    const r = start(["--listen", `127.0.0.1:${port}`, "--out", tmp()]);
    s.close();
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(/EADDRINUSE/);
  });

  it("a health port in use", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const r = spawnSync(
      NODE,
      [
        CLI,
        "sensor",
        "--listen",
        "127.0.0.1:0",
        "--health-host",
        "127.0.0.1",
        "--health-port",
        String(port),
        "--out",
        tmp(),
      ],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    server.close();
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(/health|in use|EADDRINUSE/i);
  });

  it("a memory budget too small for the workers asked for", () => {
    const r = start(["--listen", "127.0.0.1:0", "--out", tmp(), "--workers", "2", "--memory-budget", "150"]);
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(/memory budget 150 MB is too small for 2 worker\(s\): give at least \d+ MB/);
  });

  it("an output directory that cannot be created", () => {
    const dir = tmp();
    writeFileSync(join(dir, "file"), "x");
    const r = start(["--listen", "127.0.0.1:0", "--out", join(dir, "file", "logs")]);
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(/file\/logs/);
  });
});

describe.skipIf(process.getuid?.() !== 0)("spanless sensor as an unprivileged user", () => {
  it("warns with the sysctl fix when net.core.rmem_max clamps the receive buffer, and health says so", async () => {
    const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    const dir = tmp();
    chmodSync(dir, 0o777);
    const out = join(dir, "logs");
    mkdirSync(out);
    chmodSync(out, 0o777);
    const askMb = Math.ceil((rmemMax * 4) / 1048576);
    const s = await sensor(["--out", out, "--workers", "1", "--receive-buffer", String(askMb)], {
      uid: 65534,
      gid: 65534,
    });
    expect(s.stderr()).toMatch(/sysctl -w net\.core\.rmem_max=/);
    const receiver = (await s.status()).report.checks.find((c) => c.name === "receiver");
    expect(receiver?.status).toBe("WARNING");
    expect(receiver?.reason).toMatch(/rmem_max/);
    expect(await s.stop()).toBe(0);
  }, 30_000);
});

void REPO_ROOT;
