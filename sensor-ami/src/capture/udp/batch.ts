// The one ReceiveBatch a receiver refills for every batch (types.ts describes its fields).

import { DATAGRAM_SLOT_BYTES, MAX_BATCH_DATAGRAMS, type ReceiveBatch } from "./types.js";

/** A batch with room for MAX_BATCH_DATAGRAMS datagrams of DATAGRAM_SLOT_BYTES each; slot i at i * DATAGRAM_SLOT_BYTES. */
export function createReceiveBatch(): ReceiveBatch {
  const offsets = new Uint32Array(MAX_BATCH_DATAGRAMS);
  for (let i = 0; i < MAX_BATCH_DATAGRAMS; i++) offsets[i] = i * DATAGRAM_SLOT_BYTES;
  return {
    data: Buffer.alloc(MAX_BATCH_DATAGRAMS * DATAGRAM_SLOT_BYTES),
    count: 0,
    offsets,
    lengths: new Uint32Array(MAX_BATCH_DATAGRAMS),
    wireLengths: new Uint32Array(MAX_BATCH_DATAGRAMS),
    timestamps: new Float64Array(MAX_BATCH_DATAGRAMS),
    srcAddrs: new Uint32Array(MAX_BATCH_DATAGRAMS * 4),
    srcFamilies: new Uint8Array(MAX_BATCH_DATAGRAMS),
    srcPorts: new Uint16Array(MAX_BATCH_DATAGRAMS),
  };
}

/** Datagram i's sender address as text (IPv4 dotted quad, IPv6 as Node prints it: compressed, lower case). */
export function sourceAddressText(batch: ReceiveBatch, i: number): string {
  const words = Buffer.from(batch.srcAddrs.buffer, batch.srcAddrs.byteOffset + i * 16, 16);
  if (batch.srcFamilies[i] === 4) return `${words[0]}.${words[1]}.${words[2]}.${words[3]}`;
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) groups.push(words.readUInt16BE(g * 2).toString(16));
  // Compress the longest run of two or more zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== "0") {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === "0") e++;
    if (e - g > bestLen) {
      best = g;
      bestLen = e - g;
    }
    g = e;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}
