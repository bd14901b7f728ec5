// A small set of header names matched against raw bytes, case-insensitively, so that a header
// line becomes text only when its value is used.

/** Lower-case ASCII names (letters, digits and "-"); bytes of other names never match. */
export class HeaderNames {
  /** The names by length, each with its position in the constructor's list. */
  private readonly byLength: { bytes: Uint8Array; id: number }[][] = [];

  /** A name's id is its position in `names`. */
  constructor(names: readonly string[]) {
    names.forEach((name, id) => {
      const bytes = Uint8Array.from(name.toLowerCase(), (c) => c.charCodeAt(0));
      while (this.byLength.length <= bytes.length) this.byLength.push([]);
      this.byLength[bytes.length].push({ bytes, id });
    });
  }

  /**
   * The id of the name b[start, end) is in any letter case, or -1. Letters match their other
   * case only (a byte OR 0x20 hits a lower-case letter only from the same letter); other bytes
   * must be equal. For latin1 text this is exactly `toLowerCase()` equality for these names:
   * no latin1 character outside ASCII lower-cases to an ASCII letter. Most header names are
   * turned away by their length alone.
   */
  match(b: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (length >= this.byLength.length) return -1;
    const candidates = this.byLength[length];
    for (let n = 0; n < candidates.length; n++) {
      const name = candidates[n].bytes;
      let i = 0;
      for (; i < length; i++) {
        const want = name[i];
        const got = b[start + i];
        if (got !== want && !(want >= 0x61 && want <= 0x7a && (got | 0x20) === want)) break;
      }
      if (i === length) return candidates[n].id;
    }
    return -1;
  }

  has(b: Uint8Array, start: number, end: number): boolean {
    return this.match(b, start, end) >= 0;
  }
}
