// The one ReceiveBatch a receiver refills for every batch (types.ts describes its fields).

import { formatAddr } from "../../text/ip.js";
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

/** Datagram i's sender address as text, as Zeek prints addresses (text/ip.ts). */
export function sourceAddressText(batch: ReceiveBatch, i: number): string {
  // The socket wrote the address in network order; read it as such.
  const bytes = Buffer.from(batch.srcAddrs.buffer, batch.srcAddrs.byteOffset + i * 16, 16);
  if (batch.srcFamilies[i] === 4) return formatAddr(0, 0, 0xffff, bytes.readUInt32BE(0));
  return formatAddr(
    bytes.readUInt32BE(0),
    bytes.readUInt32BE(4),
    bytes.readUInt32BE(8),
    bytes.readUInt32BE(12),
  );
}
