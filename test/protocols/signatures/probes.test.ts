// Label-only probes on real first payloads from the corpus benchmark capture
// (fixtures/bench-payloads.json: frame numbers in bench/bench.pcap, tshark's protocol for each),
// plus negatives: every other probe on every sample, and HTTP/SSH/TLS payloads from other fixtures.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  labelOnlyDatagramFactories,
  labelOnlyFactories,
  labelOnlyStreamFactories,
} from "../../../sensor-ami/src/protocols/signatures/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { loadStreams } from "../http/stream-fixture.js";

interface Sample {
  name: string;
  service: string;
  frame: number;
  transport: "tcp" | "udp";
  isOrig: boolean;
  tshark: string;
  expected: keyof typeof ProbeResult;
  hex: string;
}

interface Fixture {
  samples: Sample[];
  negatives: Omit<Sample, "service" | "expected">[];
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/bench-payloads.json", import.meta.url), "utf8"),
) as Fixture;
const bytesOf = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));
const factoriesFor = (transport: "tcp" | "udp") =>
  transport === "tcp" ? labelOnlyStreamFactories : labelOnlyDatagramFactories;

/** Payloads from protocols the full analyzers own; no label-only probe may claim them. */
function otherProtocolPayloads(): { name: string; isOrig: boolean; bytes: Uint8Array }[] {
  const http = loadStreams(new URL("../http/fixtures/http-get.json", import.meta.url))[0];
  const ssh = loadStreams(new URL("../ssh/fixtures/ssh.json", import.meta.url));
  const first = (segments: typeof http.segments, orig: boolean) =>
    bytesOf(segments.find((s) => s.orig === orig && s.hex)!.hex!);
  return [
    { name: "HTTP request (http/get.pcap frame 4)", isOrig: true, bytes: first(http.segments, true) },
    { name: "HTTP response (http/get.pcap frame 6)", isOrig: false, bytes: first(http.segments, false) },
    { name: "SSH client banner (ssh.pcap)", isOrig: true, bytes: first(ssh[0].segments, true) },
    { name: "SSH server banner (ssh.pcap)", isOrig: false, bytes: first(ssh[0].segments, false) },
    { name: "TLS application data (ssh.pcap frame 904)", isOrig: true, bytes: first(ssh[19].segments, true) },
  ];
}

describe("label-only probes on real first payloads", () => {
  for (const sample of fixture.samples) {
    it(`${sample.service}: ${sample.name} (bench frame ${sample.frame}, tshark: ${sample.tshark}) → ${sample.expected}`, () => {
      // Prepare
      const factory = factoriesFor(sample.transport).find((f) => f.service === sample.service);
      // Act
      const result = factory?.probe(bytesOf(sample.hex), sample.isOrig);
      // Assess
      expect(factory?.create).toBeUndefined();
      expect(result).toBe(ProbeResult[sample.expected]);
    });
  }

  it("covers every label-only service with a real sample", () => {
    const sampled = new Set(fixture.samples.map((s) => `${s.transport}/${s.service}`));
    for (const f of labelOnlyFactories) {
      const key = `${f.transport}/${f.service}`;
      expect(sampled.has(key), key).toBe(true);
    }
  });
});

describe("negatives: no probe claims another protocol's payload", () => {
  it("never answers Yes for another service's sample", () => {
    const falseClaims: string[] = [];
    for (const sample of fixture.samples) {
      for (const factory of factoriesFor(sample.transport)) {
        if (factory.service === sample.service) continue;
        if (factory.probe(bytesOf(sample.hex), sample.isOrig) === ProbeResult.Yes) {
          falseClaims.push(`${factory.service} claimed ${sample.name}`);
        }
      }
    }
    expect(falseClaims).toEqual([]);
  });

  it("rejects S7comm's ISO transport connection requests (TPKT + COTP like RDP) and NTP mode 7 stays unsure", () => {
    for (const negative of fixture.negatives) {
      for (const factory of factoriesFor(negative.transport)) {
        expect(
          factory.probe(bytesOf(negative.hex), negative.isOrig),
          `${factory.service}: ${negative.name}`,
        ).not.toBe(ProbeResult.Yes);
      }
    }
    const s7 = fixture.negatives.filter((n) => n.name.startsWith("s7comm"));
    const rdp = labelOnlyStreamFactories.find((f) => f.service === "rdp")!;
    expect(s7.map((n) => rdp.probe(bytesOf(n.hex), n.isOrig))).toEqual([ProbeResult.No, ProbeResult.No]);
  });

  it("leaves HTTP, SSH and TLS to their own analyzers", () => {
    for (const payload of otherProtocolPayloads()) {
      for (const factory of labelOnlyStreamFactories) {
        expect(factory.probe(payload.bytes, payload.isOrig), `${factory.service}: ${payload.name}`).not.toBe(
          ProbeResult.Yes,
        );
      }
    }
  });
});

describe("RFC examples", () => {
  const rtsp = labelOnlyStreamFactories.find((f) => f.service === "rtsp")!;

  it("rtsp: RFC 2326 §10.1 OPTIONS request and its reply", () => {
    const request = Buffer.from("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nRequire: implicit-play\r\n\r\n");
    const reply = Buffer.from(
      "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE\r\n\r\n",
    );
    expect(rtsp.probe(request, true)).toBe(ProbeResult.Yes);
    expect(rtsp.probe(reply, false)).toBe(ProbeResult.Yes);
    expect(rtsp.probe(Buffer.from("GET / HTTP/1.1\r\n"), true)).toBe(ProbeResult.No);
  });

  it("ldap_udp (CLDAP): the same LDAPMessage encoding as LDAP over TCP (RFC 4511 §4.1.1)", () => {
    const search = fixture.samples.find((s) => s.name === "ldap searchRequest")!;
    const cldap = labelOnlyDatagramFactories.find((f) => f.service === "ldap_udp")!;
    expect(cldap.probe(bytesOf(search.hex), true)).toBe(ProbeResult.Yes);
  });
});

describe("robustness", () => {
  it("every truncation of every sample is answered without an exception", () => {
    for (const sample of fixture.samples) {
      const bytes = bytesOf(sample.hex);
      for (const factory of factoriesFor(sample.transport)) {
        for (let cut = 0; cut <= Math.min(bytes.length, 80); cut++) {
          expect(Object.values(ProbeResult)).toContain(factory.probe(bytes.subarray(0, cut), sample.isOrig));
        }
      }
    }
  });

  it("a Kerberos or LDAP sample cut inside its BER headers is not a Yes", () => {
    const ber = fixture.samples.filter((s) => s.service.startsWith("krb") || s.service.startsWith("ldap"));
    for (const sample of ber) {
      const factory = factoriesFor(sample.transport).find((f) => f.service === sample.service)!;
      const cut = sample.transport === "tcp" && sample.service === "krb_tcp" ? 9 : 5;
      expect(factory.probe(bytesOf(sample.hex).subarray(0, cut), sample.isOrig), sample.name).not.toBe(
        ProbeResult.Yes,
      );
    }
  });

  it("mutated samples and random bytes never make a probe throw", () => {
    const samples = fixture.samples.map((s) => bytesOf(s.hex));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (index, flips, random, isOrig) => {
          const mutated = Uint8Array.from(samples[index]);
          for (const [at, value] of flips) if (mutated.length > 0) mutated[at % mutated.length] = value;
          for (const factory of labelOnlyFactories) {
            for (const input of [mutated, random]) {
              expect(Object.values(ProbeResult)).toContain(factory.probe(input, isOrig));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
