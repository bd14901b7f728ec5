// The Internet checksum (RFC 1071): the one's-complement sum of 16-bit big-endian words.
//
// Verification runs over every payload byte the engine checks, so it is the largest single cost
// of decoding. Two facts from RFC 1071 let it read 32 bits at a time from an aligned Uint32Array
// view instead of one byte at a time:
//   - the one's-complement sum is the sum modulo 0xffff (2^16 ≡ 1), so 32-bit words can be added
//     as they are: hi·2^16 + lo ≡ hi + lo;
//   - it is byte-order independent up to a swap, and swapping a 16-bit value is multiplying it by
//     256 modulo 0xffff. Little-endian words give the byte-swapped sum when the aligned part
//     starts at an even distance from the segment's start, the straight sum when it starts at an
//     odd one.
// Sums are folded with the end-around carry into 0..0xffff (0 only for a zero sum): a non-zero
// multiple of 0xffff is "all ones", which verifies, and must never collapse to 0, which does not.
// Per-call overhead matters as much as the loop (three checksums per packet, most of them short),
// so folds use integer arithmetic and the pseudo header is summed from the decoded address words.

/** Below this many bytes the byte loop is as fast as setting up the word loop. */
const WORD_LOOP_MIN_BYTES = 64;
const ONES = 0xffff;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// One 32-bit view per backing ArrayBuffer, cached for the last one seen: packets come from the
// capture reader's single buffer, so the view is created once per buffer, not per packet. (The
// cache keeps at most that one buffer alive after its owner lets it go.)
let viewedBuffer: ArrayBufferLike | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function wordsOver(buffer: ArrayBufferLike): Uint32Array<ArrayBufferLike> {
  if (buffer !== viewedBuffer) {
    viewedBuffer = buffer;
    words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return words;
}

/**
 * End-around-carry fold of an integer 0 <= x < 2^31 into 0..0xffff (0 only for 0): two rounds of
 * adding the high half to the low half, in int32 arithmetic (no floating-point modulo).
 */
function foldInt(x: number): number {
  x = (x & 0xffff) + (x >>> 16);
  return (x & 0xffff) + (x >>> 16);
}

/** The same fold for an integer 0 <= x < 2^53 (the word accumulators exceed 32 bits). */
function foldWide(x: number): number {
  while (x > 0x7fffffff) {
    const high = Math.floor(x / 0x10000);
    x = x - high * 0x10000 + high;
  }
  return foldInt(x);
}

/** The two 16-bit halves of a 32-bit word (an address word of the pseudo header), added. */
export function wordHalves(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/** Byte-at-a-time sum of b[from, to) as big-endian 16-bit words (an odd last byte is padded). */
function bytesSum(b: Uint8Array, from: number, to: number): number {
  // High and low bytes summed separately, eight bytes per iteration: a quarter of the loop overhead.
  let hi = 0;
  let lo = 0;
  let i = from;
  for (; i + 7 < to; i += 8) {
    hi += b[i] + b[i + 2] + b[i + 4] + b[i + 6];
    lo += b[i + 1] + b[i + 3] + b[i + 5] + b[i + 7];
  }
  for (; i + 1 < to; i += 2) {
    hi += b[i];
    lo += b[i + 1];
  }
  if (i < to) hi += b[i];
  return hi * 256 + lo;
}

/**
 * `sum` plus the one's-complement sum of b[from, to) read as big-endian 16-bit words, folded into
 * 0..0xffff (0 only when everything is zero). `sum` must be below 2^30.
 */
export function onesSum(b: Uint8Array, from: number, to: number, sum: number): number {
  if (to - from < WORD_LOOP_MIN_BYTES || !LITTLE_ENDIAN) return foldWide(sum + bytesSum(b, from, to));
  const base = b.byteOffset;
  // Bytes before the first 4-aligned address, then whole words, then the tail.
  const alignedFrom = from + ((4 - ((base + from) & 3)) & 3);
  const wordCount = (to - alignedFrom) >>> 2;
  const alignedTo = alignedFrom + (wordCount << 2);
  const w = wordsOver(b.buffer);
  // Four independent accumulators: one would wait on each floating-point add's latency.
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let k = (base + alignedFrom) >>> 2;
  const end = k + wordCount;
  for (; k + 3 < end; k += 4) {
    a0 += w[k];
    a1 += w[k + 1];
    a2 += w[k + 2];
    a3 += w[k + 3];
  }
  for (; k < end; k++) a0 += w[k];
  let words = foldWide(a0 + a1 + a2 + a3);
  // Little-endian words read the pairs swapped when the aligned part starts at an even offset.
  if (((alignedFrom - from) & 1) === 0) words = foldInt(words * 256);
  // At most three bytes on each side of the aligned part.
  let hi = 0;
  let lo = 0;
  for (let i = from; i < alignedFrom; i++) {
    if (((i - from) & 1) === 0) hi += b[i];
    else lo += b[i];
  }
  for (let i = alignedTo; i < to; i++) {
    if (((i - from) & 1) === 0) hi += b[i];
    else lo += b[i];
  }
  return foldInt(sum + words + hi * 256 + lo);
}

/** Whether a sum from onesSum (of everything the checksum covers, itself included) verifies. */
export function checksumVerifies(sum: number): boolean {
  return sum === ONES;
}
