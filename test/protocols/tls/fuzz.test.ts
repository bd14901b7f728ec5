// Property-based mutation fuzzing (fast-check) of the TLS analyzer and parsers, seeded with real
// corpus streams: byte flips, insertions, deletions and truncations, delivered in random segment
// sizes. Properties: no exception escapes, every call returns (termination), at most one ssl.log
// record per connection, and fingerprints keep their documented shape.
//
// The suite runs a short campaign; a long one: TLS_FUZZ_RUNS=1000000 npx vitest run test/protocols/tls/fuzz.test.ts

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TlsAnalyzer } from "../../../sensor-ami/src/protocols/tls/analyzer.js";
import {
  ja3,
  ja4,
  parseCertificate,
  parseClientHello,
  parseServerHello,
  TlsParseError,
} from "../../../sensor-ami/src/protocols/tls/index.js";
import { chunksOf, handshakeMessages, loadFixture, recordingContext, type StreamFixture } from "./support.js";

const RUNS = Number(process.env.TLS_FUZZ_RUNS ?? 300);
/** The ALPN code keeps the case of alphanumeric ALPN bytes (the spec's 0x30–0x39, 0x41–0x5A, 0x61–0x7A). */
const JA4_SHAPE = /^t[0-9a-z]{2}[di]\d{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
/** Long campaigns need more than vitest's default per-test timeout. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 5);

/** Seeds: small real handshakes of different kinds (TLS 1.2 RSA/ECDHE, TLS 1.3, SSLv2 hello, HRR). */
const SEEDS: StreamFixture[] = [
  loadFixture("443-curl.pcap").streams[0],
  loadFixture("tls__tls13-ech.pcap").streams[0],
  loadFixture("tls__ssl.v3.pcap").streams[0],
  loadFixture("tls-handshake.pcapng").streams.find((s) => s.stream === 38)!,
  loadFixture("tls__tls1.2.pcap").streams[0],
];

type Mutation =
  | { kind: "flip"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === "flip") out[at] = m.value;
    else if (m.kind === "insert") {
      const grown = new Uint8Array(out.length + m.bytes.length);
      grown.set(out.subarray(0, at));
      grown.set(m.bytes, at);
      grown.set(out.subarray(at), at + m.bytes.length);
      out = grown;
    } else if (m.kind === "delete") {
      const end = Math.min(out.length, at + m.count);
      const shrunk = new Uint8Array(out.length - (end - at));
      shrunk.set(out.subarray(0, at));
      shrunk.set(out.subarray(end), at);
      out = shrunk;
    } else out = out.subarray(0, at);
  }
  return out;
}

/** The two directions of a seed, each as one byte string, in the order the peers spoke. */
function directions(stream: StreamFixture): { orig: Uint8Array; resp: Uint8Array } {
  const chunks = chunksOf(stream);
  const join = (isOrig: boolean) => Buffer.concat(chunks.filter(([o]) => o === isOrig).map(([, b]) => b));
  return { orig: Uint8Array.from(join(true)), resp: Uint8Array.from(join(false)) };
}

describe("fuzzing the TLS analyzer with mutated real streams", () => {
  it(
    "never throws, always returns, and logs at most one ssl record",
    () => {
      fc.assert(
        fc.property(
          fc.nat({ max: SEEDS.length - 1 }),
          fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
          fc.array(mutationArb, { maxLength: 3 }),
          fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 8 }),
          (seed, origMutations, respMutations, segmentSizes) => {
            // Prepare
            const { orig, resp } = directions(SEEDS[seed]);
            const streams = { orig: mutate(orig, origMutations), resp: mutate(resp, respMutations) };
            const { ctx, recorded } = recordingContext();
            const analyzer = new TlsAnalyzer(ctx);
            // Act: alternate directions in segments of the chosen sizes (client speaks first)
            const offsets = { orig: 0, resp: 0 };
            for (
              let turn = 0;
              offsets.orig < streams.orig.length || offsets.resp < streams.resp.length;
              turn++
            ) {
              const side = turn % 2 === 0 ? "orig" : "resp";
              const size = segmentSizes[turn % segmentSizes.length];
              const piece = streams[side].subarray(offsets[side], offsets[side] + size);
              offsets[side] += piece.length;
              if (piece.length > 0) analyzer.data(side === "orig", piece, turn);
            }
            analyzer.end(1e9);
            // Assess
            const ssl = recorded.logs.filter((l) => l.path === "ssl");
            expect(ssl.length).toBeLessThanOrEqual(1);
            for (const { record } of ssl) {
              expect(typeof record.ts).toBe("number");
              if (record.ja4 !== undefined) expect(record.ja4).toMatch(JA4_SHAPE);
              if (record.ja3 !== undefined) expect(record.ja3).toMatch(/^[0-9a-f]{32}$/);
              expect(String(record.ssl_history).length).toBeLessThanOrEqual(100);
            }
          },
        ),
        { numRuns: RUNS, seed: 20261124 },
      );
    },
    TIMEOUT_MS,
  );
});

describe("fuzzing the parsers with mutated real messages", () => {
  const clientHello = handshakeMessages(SEEDS[0], true).find((m) => m.type === 1)!.message;
  const serverHello = handshakeMessages(SEEDS[0], false).find((m) => m.type === 2)!.message;
  const certificateMessage = handshakeMessages(SEEDS[0], false).find((m) => m.type === 11)!.message;
  const firstCertificate = certificateMessage.subarray(
    10,
    10 + ((certificateMessage[7] << 16) | (certificateMessage[8] << 8) | certificateMessage[9]),
  );

  it(
    "parseClientHello returns a hello or a TlsParseError; fingerprints keep their shape",
    () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 8 }), (mutations) => {
          const result = parseClientHello(mutate(clientHello, mutations));
          if (result instanceof TlsParseError) return;
          expect(ja3(result)).toMatch(/^[0-9a-f]{32}$/);
          expect(ja4(result, "t")).toMatch(JA4_SHAPE);
        }),
        { numRuns: RUNS, seed: 1 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "parseServerHello and parseCertificate never throw",
    () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 8 }), (mutations) => {
          expect(() => parseServerHello(mutate(serverHello, mutations))).not.toThrow();
          expect(() => parseCertificate(mutate(firstCertificate, mutations))).not.toThrow();
        }),
        { numRuns: RUNS, seed: 2 },
      );
    },
    TIMEOUT_MS,
  );
});
