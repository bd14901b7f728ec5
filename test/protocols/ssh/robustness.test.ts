// SSH on damaged and re-segmented versions of the corpus streams.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ssh } from "../../../sensor-ami/src/protocols/ssh/index.js";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import { loadStreams, recordingContext, replay, type StreamFixture } from "../http/stream-fixture.js";
import { runSsh, sshFixtureUrl } from "./ssh-runs.js";

const streams = loadStreams(sshFixtureUrl("ssh.json"));
const byPort = (port: string): StreamFixture => streams.find((s) => s.originator.endsWith(`:${port}`))!;

/** Zeek's authentication heuristic reads segment sizes, so only these fields must survive re-cutting. */
function handshakeFields(record: LogRecord | undefined): Record<string, unknown> | undefined {
  if (!record) return undefined;
  const { auth_success: _a, auth_attempts: _b, ...rest } = record;
  return rest;
}

describe("truncated and malformed streams", () => {
  it("a connection cut inside the server's KEXINIT logs banners but no algorithms (ssh.pcap 57189)", () => {
    // Prepare: keep the server banner (frame 99) and the first 120 bytes of its KEXINIT (frame 101).
    const original = byPort("57189");
    let serverSegments = 0;
    const segments = original.segments.filter((s) => s.orig || ++serverSegments <= 2);
    const lastServer = segments.findLast((s) => !s.orig)!;
    const cutServer = { ...lastServer, hex: lastServer.hex!.slice(0, 2 * 120) };
    const damaged = segments.map((s) => (s === lastServer ? cutServer : s));
    // Act
    const run = runSsh({ ...original, segments: damaged });
    // Assess
    expect(run.record?.client).toBe("SSH-2.0-OpenSSH_6.2");
    expect(run.record?.server).toBe("SSH-1.99-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2");
    expect(run.record?.kex_alg).toBeUndefined();
    expect(run.record?.hassh).toBeDefined();
    expect(run.record?.hasshServer).toBeUndefined();
  });

  it("an impossible packet length is a weird and the record keeps what came before", () => {
    const original = byPort("52294");
    const serverKexIndex = original.segments.findIndex(
      (s) => !s.orig && s.hex && !s.hex.startsWith("5353482d"),
    );
    const segments = original.segments.map((s, i) =>
      i === serverKexIndex ? { ...s, hex: `ffffffff${s.hex!.slice(8)}` } : s,
    );
    const run = runSsh({ ...original, segments });
    expect(run.out.weirds.map((w) => w.name)).toContain("ssh_bad_packet_length");
    expect(run.record?.server).toBe("SSH-2.0-OpenSSH_6.7");
    expect(run.record?.cipher_alg).toBeUndefined();
  });

  it("a content gap ends analysis like Zeek, keeping banners and negotiated algorithms", () => {
    const original = byPort("58646");
    const firstEncrypted = original.segments.findIndex((s, i) => i > 12 && s.orig);
    const segments = original.segments.map((s, i) =>
      i === firstEncrypted ? { frame: s.frame, ts: s.ts, orig: s.orig, gap: 48 } : s,
    );
    const run = runSsh({ ...original, segments });
    expect(run.record).toMatchObject({
      version: 2,
      kex_alg: "diffie-hellman-group-exchange-sha256",
      auth_attempts: 0,
    });
    expect(run.record?.auth_success).toBeUndefined();
  });

  it("SSH-1 packets after an SSH-1.5 or 1.99 banner are not misread as SSH-2 (ssh.pcap 57191, each side alone)", () => {
    // Prepare: the benchmark capture holds this connection's two directions as separate flows.
    const original = byPort("57191");
    const clientOnly = { ...original, segments: original.segments.filter((s) => s.orig) };
    const serverOnly = { ...original, segments: original.segments.filter((s) => !s.orig) };
    // Act
    const client = runSsh(clientOnly);
    const server = runSsh(serverOnly);
    // Assess
    expect(client.out.weirds).toEqual([]);
    expect(server.out.weirds).toEqual([]);
    expect(client.record).toMatchObject({ client: "SSH-1.5-OpenSSH_6.2", auth_attempts: 0 });
    expect(server.record).toMatchObject({ server: "SSH-1.99-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2" });
    expect(server.record?.version).toBeUndefined();
  });

  it("a client that does not speak SSH is a violation and logs nothing", () => {
    const run = runSsh({
      capture: "http/get.pcap frame 4",
      stream: 0,
      originator: "x:1",
      segments: [{ frame: 4, ts: 1, orig: true, hex: Buffer.from("GET / HTTP/1.1\r\n").toString("hex") }],
    });
    expect(run.record).toBeUndefined();
    expect(run.out.violations).toHaveLength(1);
  });
});

describe("properties", () => {
  it("re-segmenting the cleartext handshake never changes banners, algorithms, HASSH or host key", () => {
    const sample = ["51880", "57189", "55179", "52294", "58641", "41164"].map(byPort);
    const whole = sample.map((s) => handshakeFields(runSsh(s).record));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 10 }), (cuts) => {
        const split = (index: number, length: number) =>
          cuts.map((c) => (c * (index + 3)) % Math.max(length, 1));
        const pieces = sample.map((s) => handshakeFields(runSsh(s, split).record));
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 25 },
    );
  });

  it("mutated streams never throw and log at most one record", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: streams.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (index, flips) => {
          const segments = streams[index].segments.map((s) => ({ ...s }));
          for (const [segment, at, value] of flips) {
            const target = segments[segment % segments.length];
            if (!target.hex || target.hex.length === 0) continue;
            const bytes = Buffer.from(target.hex, "hex");
            bytes[at % bytes.length] = value;
            target.hex = bytes.toString("hex");
          }
          const { ctx, out } = recordingContext();
          replay(ssh.create!(ctx), { ...streams[index], segments });
          expect(out.logs.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
