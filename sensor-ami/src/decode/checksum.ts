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
// Sums are kept as plain numbers below 2^53 and reduced modulo 0xffff into 1..0xffff (0 only for a
// zero sum), as the end-around carry does: a non-zero multiple of 0xffff is "all ones", which
// verifies, and must never collapse to 0, which does not.

/** Below this many bytes the byte loop is as fast as setting up the word loop. */
const WORD_LOOP_MIN_BYTES = 64;
const ONES = 0xffff;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// One 32-bit view per backing ArrayBuffer, cached for the last one seen: packets come from the
// capture reader's single buffer, so the view is created once per buffer, not per packet.
let viewedBuffer: ArrayBufferLike | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function wordsOver(buffer: ArrayBufferLike): Uint32Array<ArrayBufferLike> {
  if (buffer !== viewedBuffer) {
    viewedBuffer = buffer;
    words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return words;
}

/** x modulo 0xffff into 1..0xffff for x > 0 (0 for 0): the end-around-carry fold of x. */
function fold(x: number): number {
  return x === 0 ? 0 : ((x - 1) % ONES) + 1;
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
 * 1..0xffff (0 only when everything is zero). `sum` must be below 2^52.
 */
export function onesSum(b: Uint8Array, from: number, to: number, sum: number): number {
  let total: number;
  if (to - from < WORD_LOOP_MIN_BYTES || !LITTLE_ENDIAN) {
    total = sum + bytesSum(b, from, to);
  } else {
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
    let acc = fold(a0 + a1 + a2 + a3);
    // Little-endian words read the pairs swapped when the aligned part starts at an even offset.
    if (((alignedFrom - from) & 1) === 0) acc = fold(acc * 256);
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
    total = sum + acc + hi * 256 + lo;
  }
  return fold(total);
}

/** Whether a sum from onesSum (of everything the checksum covers, itself included) verifies. */
export function checksumVerifies(sum: number): boolean {
  return sum === ONES;
}
