// uninitializedBytes: arrays that skip the zero-fill keep plain Uint8Array semantics, so code
// handed probed bytes behaves as it did with `new Uint8Array(n)`.

import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { uninitializedBytes } from "../../sensor-ami/src/inspect/uninitialized.js";

describe("uninitializedBytes", () => {
  it("is a plain Uint8Array of the length asked for, below and above Node's pool size", () => {
    for (const n of [0, 1, 256, 2920, 4096, 8192]) {
      const a = uninitializedBytes(n);
      expect(a.length).toBe(n);
      expect(Buffer.isBuffer(a)).toBe(false);
      expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    }
  });

  it("slice() copies, as Uint8Array's does (Buffer's would be a view)", () => {
    const a = uninitializedBytes(16);
    a.fill(7);
    const copy = a.slice(0, 4);
    a[0] = 9;
    expect(copy[0]).toBe(7);
  });

  it("two arrays never share bytes", () => {
    const a = uninitializedBytes(300);
    const b = uninitializedBytes(300);
    a.fill(1);
    b.fill(2);
    expect(a.every((x) => x === 1)).toBe(true);
  });
});
