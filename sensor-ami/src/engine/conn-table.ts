// Connection lookup without per-packet allocation: an open-addressing hash table (linear probing,
// backward-shift deletion) over numeric keys kept in typed arrays. A key is the direction-neutral
// 5-tuple plus a context word (the tunnel VNI), ordered so both directions find the same entry.
// Keys are Int32Arrays because the engine carries addresses as int32 words: stored, hashed and
// compared without a conversion (a Uint32Array read above 2^31 is a double in V8).
// Every connection in the table is charged to the memory budget's connection account; the table
// has room for a new one while both the connection count and the account allow it.

import { type Connection, Proto } from "./connection.js";
import type { MemoryAccount } from "./memory-budget.js";

/** Words per key: addrA(4) addrB(4) ports(1) proto(1) context(1). */
const KEY_WORDS = 11;
const INITIAL_CAPACITY = 1024;
/**
 * Bytes a connection is charged: its objects on the heap and its share of the table's typed
 * arrays, rounded up. `npm run bench:flood` measured 881 bytes of heap and array buffers and
 * 994 bytes of RSS growth per TCP connection (1,000,000 SYNs, Node 24); UDP, ICMP and other
 * connections have no TCP endpoints (about 240 bytes less).
 */
export const TCP_CONNECTION_BYTES = 1024;
export const CONNECTION_BYTES = 768;

/** lastTs values sampled to find the eviction cutoff (a fixed scratch array: no allocation per round). */
const EVICTION_SAMPLE = 1024;

function chargeOf(c: Connection): number {
  return c.proto === Proto.Tcp ? TCP_CONNECTION_BYTES : CONNECTION_BYTES;
}

export class ConnTable {
  /** Live connections by storage index (null = free). */
  readonly conns: (Connection | null)[] = [];
  private keys: Int32Array;
  /** hashKey of each stored key by storage index: placement and deletion never recompute it. */
  private hashes: Int32Array;
  /** hashKey of the scratch key, valid while keyHashed (find() computes it, setKey() clears it). */
  private keyHash = 0;
  private keyHashed = false;
  private slots: Int32Array;
  private mask: number;
  private freeList: number[] = [];
  size = 0;
  /** Scratch key filled by the caller before find()/insert(). */
  readonly key = new Int32Array(KEY_WORDS);
  /** True when the packet's source is the key's B side (set by setKey). */
  swapped = false;

  constructor(
    readonly maxConnections: number,
    private readonly memory: MemoryAccount | null = null,
  ) {
    const cap = Math.min(INITIAL_CAPACITY, nextPow2(maxConnections));
    this.keys = new Int32Array(cap * KEY_WORDS);
    this.hashes = new Int32Array(cap);
    this.slots = new Int32Array(nextPow2(cap * 2)).fill(-1);
    this.mask = this.slots.length - 1;
  }

  /** Fills the scratch key from a packet's endpoints in canonical (smaller endpoint first) order. */
  setKey(
    s0: number,
    s1: number,
    s2: number,
    s3: number,
    sp: number,
    d0: number,
    d1: number,
    d2: number,
    d3: number,
    dp: number,
    proto: number,
    ctx: number,
  ): void {
    const k = this.key;
    let srcFirst: boolean;
    if (s0 !== d0) srcFirst = s0 < d0;
    else if (s1 !== d1) srcFirst = s1 < d1;
    else if (s2 !== d2) srcFirst = s2 < d2;
    else if (s3 !== d3) srcFirst = s3 < d3;
    else srcFirst = sp <= dp;
    if (srcFirst) {
      k[0] = s0;
      k[1] = s1;
      k[2] = s2;
      k[3] = s3;
      k[4] = d0;
      k[5] = d1;
      k[6] = d2;
      k[7] = d3;
      k[8] = (sp << 16) | dp;
    } else {
      k[0] = d0;
      k[1] = d1;
      k[2] = d2;
      k[3] = d3;
      k[4] = s0;
      k[5] = s1;
      k[6] = s2;
      k[7] = s3;
      k[8] = (dp << 16) | sp;
    }
    k[9] = proto;
    k[10] = ctx;
    this.swapped = !srcFirst;
    this.keyHashed = false;
  }

  private hashKey(k: Int32Array, base: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[base + i], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  private sameKey(idx: number): boolean {
    const k = this.key;
    const ks = this.keys;
    const b = idx * KEY_WORDS;
    return (
      ks[b + 3] === k[3] &&
      ks[b + 7] === k[7] &&
      ks[b + 8] === k[8] &&
      ks[b + 10] === k[10] &&
      ks[b + 9] === k[9] &&
      ks[b] === k[0] &&
      ks[b + 1] === k[1] &&
      ks[b + 2] === k[2] &&
      ks[b + 4] === k[4] &&
      ks[b + 5] === k[5] &&
      ks[b + 6] === k[6]
    );
  }

  /** Looks up the scratch key; returns the connection or null. */
  find(): Connection | null {
    const h = this.hashKey(this.key, 0);
    this.keyHash = h;
    this.keyHashed = true;
    let i = h & this.mask;
    const slots = this.slots;
    for (;;) {
      const idx = slots[i];
      if (idx < 0) return null;
      if (this.sameKey(idx)) return this.conns[idx];
      i = (i + 1) & this.mask;
    }
  }

  private readonly sample = new Float64Array(EVICTION_SAMPLE);

  /**
   * About `n` of the least recently active connections, for eviction: every connection returned
   * was active no later than every one kept (up to ties at the cutoff). The cutoff is the n-th
   * smallest lastTs of an evenly spaced sample, so a round costs one pass over the table instead
   * of a sort of it (under a flood, rounds come every table/64 new connections).
   */
  leastRecentlyActive(n: number): Connection[] {
    const conns = this.conns;
    const stride = Math.max(1, Math.floor(conns.length / EVICTION_SAMPLE));
    let m = 0;
    for (let i = 0; i < conns.length && m < EVICTION_SAMPLE; i += stride) {
      const c = conns[i];
      if (c !== null) this.sample[m++] = c.lastTs;
    }
    const out: Connection[] = [];
    if (m === 0) return out;
    const sorted = this.sample.subarray(0, m).sort();
    const cutoff = sorted[Math.min(m - 1, Math.floor((n * m) / Math.max(1, this.size)))];
    // Ties at the cutoff (a burst within one timestamp) could be the whole table: at most 2n go.
    const most = Math.max(1, 2 * n);
    for (let i = 0; i < conns.length && out.length < most; i++) {
      const c = conns[i];
      if (c !== null && c.lastTs <= cutoff) out.push(c);
    }
    return out;
  }

  /** Whether the table may take one more connection (false: the caller evicts). */
  hasRoom(proto: Proto): boolean {
    if (this.size >= this.maxConnections) return false;
    return (
      this.memory === null || this.memory.fits(proto === Proto.Tcp ? TCP_CONNECTION_BYTES : CONNECTION_BYTES)
    );
  }

  /** After hasRoom() said no: whether the memory account, not the connection count, is full. */
  get memoryIsFull(): boolean {
    return this.size < this.maxConnections;
  }

  /** Inserts `c` under the scratch key (the caller checked it is absent and hasRoom()). */
  insert(c: Connection): void {
    if (this.memory !== null) this.memory.charge(chargeOf(c));
    let idx: number;
    if (this.freeList.length > 0) {
      idx = this.freeList.pop() as number;
    } else {
      idx = this.conns.length;
      this.conns.push(null);
      if ((idx + 1) * KEY_WORDS > this.keys.length) this.growKeys();
    }
    this.keys.set(this.key, idx * KEY_WORDS);
    this.hashes[idx] = this.keyHashed ? this.keyHash : this.hashKey(this.key, 0);
    this.conns[idx] = c;
    c.index = idx;
    this.size++;
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(idx);
  }

  private place(idx: number): void {
    let i = this.hashes[idx] & this.mask;
    while (this.slots[i] >= 0) i = (i + 1) & this.mask;
    this.slots[i] = idx;
  }

  private growKeys(): void {
    const bigger = new Int32Array(this.keys.length * 2);
    bigger.set(this.keys);
    this.keys = bigger;
    const hashes = new Int32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private rehash(slotCount: number): void {
    this.slots = new Int32Array(slotCount).fill(-1);
    this.mask = slotCount - 1;
    for (let idx = 0; idx < this.conns.length; idx++) if (this.conns[idx] !== null) this.place(idx);
  }

  /** Removes a connection (by identity); its storage index is reused later. */
  remove(c: Connection): void {
    const idx = c.index;
    if (idx < 0 || this.conns[idx] !== c) return;
    const mask = this.mask;
    const slots = this.slots;
    const hashes = this.hashes;
    let i = hashes[idx] & mask;
    while (slots[i] !== idx) {
      if (slots[i] < 0) return; // not placed: cannot happen, but never loop forever
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe sequences intact without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const other = slots[j];
      if (other < 0) break;
      const home = hashes[other] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        slots[i] = other;
        i = j;
      }
    }
    slots[i] = -1;
    this.conns[idx] = null;
    if (this.memory !== null) this.memory.release(chargeOf(c));
    this.freeList.push(idx);
    c.index = -1;
    this.size--;
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
