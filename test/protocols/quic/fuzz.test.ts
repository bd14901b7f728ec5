// A short property-based fuzz run (fast-check) seeded with real corpus datagrams and RFC packets:
// whatever the mutation, the analyzer returns normally, never hits its internal-error guard, and
// finishes. The suite runs a short campaign; a long one:
// QUIC_FUZZ_RUNS=1000000 npx vitest run test/protocols/quic/fuzz.test.ts
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QuicAnalyzer } from "../../../sensor-ami/src/protocols/quic/analyzer.js";
import { probeQuic } from "../../../sensor-ami/src/protocols/quic/probe.js";
import { tlsHelloInspectors } from "../../../sensor-ami/src/protocols/quic/tls-hello.js";
import { padded, protectInitial } from "./protect.js";
import { CLIENT_CRYPTO_FRAME, RFC_DCID, V1 } from "./rfc-vectors.js";
import { bytesOf, loadFixture, RecordingContext } from "./support.js";

const RUNS = Number(process.env.QUIC_FUZZ_RUNS ?? 300);
/** A long campaign needs more than the suite's 60 s per test (a few ms per run at most). */
const TIMEOUT_MS = Math.max(60_000, RUNS * 5);

type Datagram = { isOrig: boolean; bytes: Uint8Array };

/** Per capture, its first datagrams that were committed whole (long headers, gQUIC CHLOs). */
function seeds(): Datagram[][] {
  const names = [
    "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
    "quic-v2.pcapng",
    "quic_frags_ch_in_multiple_packets.pcapng",
    "quic.pcap",
  ];
  return names.map((name) => {
    const { datagrams } = loadFixture(name);
    return datagrams
      .slice(0, 4)
      .filter((d) => d.hex.length / 2 === d.length)
      .map((d) => ({ isOrig: d.src === datagrams[0].src, bytes: bytesOf(d.hex) }));
  });
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (bytes.length === 0) return bytes;
  const at = m.at % bytes.length;
  if (m.kind === "cut") return bytes.subarray(0, at);
  const copy = Uint8Array.from(bytes);
  copy[at] = m.kind === "flip" ? copy[at] ^ (1 << m.bit) : m.value;
  return copy;
}

function analyze(datagrams: Datagram[]): RecordingContext {
  const ctx = new RecordingContext();
  const analyzer = new QuicAnalyzer(ctx, tlsHelloInspectors);
  for (const [i, d] of datagrams.entries()) {
    probeQuic(d.bytes, d.isOrig);
    analyzer.packet(d.isOrig, d.bytes, i);
  }
  analyzer.end(datagrams.length);
  return ctx;
}

const internalErrors = (ctx: RecordingContext) => ctx.weirds.filter((w) => w.name === "QUIC_analyzer_error");

describe("fuzz: mutated QUIC input", () => {
  const corpus = seeds();

  it("has seeds to mutate", () => {
    expect(corpus.map((c) => c.length)).toEqual([3, 3, 4, 2]);
  });

  it(
    "mutated corpus datagrams (header fields, CIDs, lengths, ciphertext)",
    () => {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.nat(), (mutations, pick) => {
          const datagrams = corpus[pick % corpus.length].map((d) => ({ ...d }));
          for (const m of mutations) {
            const i = (pick + m.at) % datagrams.length;
            datagrams[i] = { ...datagrams[i], bytes: mutate(datagrams[i].bytes, m) };
          }
          expect(internalErrors(analyze(datagrams))).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "mutated plaintext inside correctly encrypted Initials (frames and ClientHello parser)",
    () => {
      const frames = Buffer.from(CLIENT_CRYPTO_FRAME, "hex");
      const prefix = Buffer.from(`c30000000108${RFC_DCID}0000`, "hex");
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
          let plain: Uint8Array = frames;
          for (const m of mutations) plain = mutate(plain, m);
          const packet = protectInitial(V1.client, prefix, padded(Buffer.from(plain), 1162), 2);
          expect(internalErrors(analyze([{ isOrig: true, bytes: packet }]))).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "arbitrary bytes behind a plausible long header",
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1300 }), fc.boolean(), (tail, isOrig) => {
          const bytes = Buffer.concat([Buffer.from(`c30000000108${RFC_DCID}`, "hex"), tail]);
          expect(internalErrors(analyze([{ isOrig, bytes }]))).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
