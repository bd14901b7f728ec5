// The reused-engine inflater must report exactly what Node's one-shot gunzipSync / inflateSync /
// inflateRawSync report with the options body.ts used to pass them: the decoded length and first
// bytes, or the same error message — on good, truncated, corrupted, concatenated and oversized
// streams, and when engines are reused after errors.

import { randomBytes } from "node:crypto";
import {
  constants,
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
} from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BodyInflater, type InflateMode } from "../../../sensor-ami/src/protocols/http/inflate.js";

const HEAD_BYTES = 64;
const MAX_OUTPUT = 200_000;
const ONE_SHOT = { gunzip: gunzipSync, inflate: inflateSync, "inflate-raw": inflateRawSync } as const;

function oneShot(mode: InflateMode, input: Uint8Array): { length?: number; head?: number[]; error?: string } {
  try {
    const out = ONE_SHOT[mode](input, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_OUTPUT });
    return { length: out.length, head: [...out.subarray(0, HEAD_BYTES)] };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const head = new Uint8Array(HEAD_BYTES);
const inflater = new BodyInflater(MAX_OUTPUT, head);

function reused(mode: InflateMode, input: Uint8Array): { length?: number; head?: number[]; error?: string } {
  const outcome = inflater.run(mode, input);
  if (!outcome.ok) return { error: outcome.message };
  return { length: outcome.length, head: [...head.subarray(0, inflater.headLength)] };
}

const text = Buffer.from(
  Array.from({ length: 400 }, (_, i) => `<p>line ${i} of a page that compresses well</p>\n`).join(""),
);
const noise = randomBytes(40_000);
/** Highly compressible: decodes past MAX_OUTPUT. */
const bomb = Buffer.alloc(MAX_OUTPUT + 1, 0x41);

const samples: Record<string, Uint8Array> = {
  gzipText: gzipSync(text),
  gzipNoise: gzipSync(noise),
  gzipBomb: gzipSync(bomb),
  gzipExactLimit: gzipSync(Buffer.alloc(MAX_OUTPUT, 0x42)),
  gzipTwoMembers: Buffer.concat([gzipSync(text), gzipSync(Buffer.from("second member"))]),
  gzipTrailingZeros: Buffer.concat([gzipSync(text), Buffer.alloc(7)]),
  gzipTrailingGarbage: Buffer.concat([gzipSync(text), Buffer.from("garbage")]),
  gzipEmpty: gzipSync(Buffer.alloc(0)),
  zlibText: deflateSync(text),
  zlibBomb: deflateSync(bomb),
  rawText: deflateRawSync(text),
  rawNoise: deflateRawSync(noise),
  plain: text,
  empty: new Uint8Array(0),
};

const MODES: InflateMode[] = ["gunzip", "inflate", "inflate-raw"];

describe("BodyInflater matches Node's one-shot inflate calls", () => {
  for (const [name, bytes] of Object.entries(samples)) {
    it(`${name}: every mode gives the same outcome, whole and truncated`, () => {
      for (const mode of MODES) {
        expect(reused(mode, bytes)).toEqual(oneShot(mode, bytes));
        for (const cut of [1, 2, 9, 10, 11, 20, bytes.length >> 1, bytes.length - 8, bytes.length - 1]) {
          if (cut <= 0 || cut >= bytes.length) continue;
          const prefix = bytes.subarray(0, cut);
          expect(reused(mode, prefix)).toEqual(oneShot(mode, prefix));
        }
      }
    });
  }

  it("corrupted streams (random byte flips) give the same outcome, engines being reused throughout", () => {
    const sources = Object.values(samples).filter((s) => s.length > 0);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.constantFrom(...MODES),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (which, mode, flips) => {
          const bytes = new Uint8Array(sources[which]);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          expect(reused(mode, bytes)).toEqual(oneShot(mode, bytes));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("BodyInflater's self-check of Node's internal zlib handle", () => {
  it("falls back to the one-shot functions, with the same outcomes, when the check cannot pass", () => {
    // Prepare: a limit below the self-check body's size makes the check fail (it must decode the
    // whole body), so this inflater runs on the public one-shot functions only.
    const smallLimit = 1_000;
    const smallHead = new Uint8Array(HEAD_BYTES);
    const fallback = new BodyInflater(smallLimit, smallHead);
    const small = Buffer.from("a small body that fits the limit");
    for (const [mode, coded] of [
      ["gunzip", gzipSync(small)],
      ["inflate", deflateSync(small)],
      ["inflate-raw", deflateRawSync(small)],
      ["gunzip", gzipSync(Buffer.alloc(smallLimit + 1, 0x41))],
    ] as const) {
      // Act
      const got = fallback.run(mode, coded);
      // Assess
      let want: { ok: boolean; length?: number; message?: string };
      try {
        const out = ONE_SHOT[mode](coded, {
          finishFlush: constants.Z_SYNC_FLUSH,
          maxOutputLength: smallLimit,
        });
        want = { ok: true, length: out.length };
      } catch (error) {
        want = { ok: false, message: (error as Error).message };
      }
      expect(got.ok).toBe(want.ok);
      if (got.ok) expect(got.length).toBe(want.length);
      else expect(got.message).toBe(want.message);
    }
  });
});
