// A connection's identity in its log records, built in one place: conn.log, weird.log and every
// protocol log start with ts, uid and Zeek's id block (id.orig_h, id.orig_p, id.resp_h,
// id.resp_p), in this order (inspect/attachment.ts gives analyzers the same fields as a conn_id).
//
// Records are classes that extend ConnIdRecord rather than object literals: the base constructor
// writes the id block first, so JSON key order is Zeek's, and every instance of a record class
// shares one hidden class, as one literal's instances do. Fields are `declare`d so that the
// compiled class defines each property once, in the constructor's assignment order.

import type { LogRecordObject } from "../logs/writer.js";
import { formatAddr } from "../text/ip.js";
import type { Connection } from "./connection.js";

/**
 * The mirror origin (engine/frame.ts) of a record's connection, under a symbol so that no writer
 * serializes it: the live sensor's log sink turns it into enrichment fields (VNI, mirror source,
 * instance). Set only for live frames, so records from files keep one shape.
 */
export const MIRROR_ORIGIN: unique symbol = Symbol("spanless.mirrorOrigin");

export class ConnIdRecord implements LogRecordObject {
  [field: string]: unknown;
  declare ts: number;
  declare uid: string;
  declare "id.orig_h": string;
  declare "id.orig_p": number;
  declare "id.resp_h": string;
  declare "id.resp_p": number;

  constructor(ts: number, c: Connection) {
    this.ts = ts;
    this.uid = c.uid;
    this["id.orig_h"] = formatAddr(c.o0, c.o1, c.o2, c.o3);
    this["id.orig_p"] = c.oPort;
    this["id.resp_h"] = formatAddr(c.r0, c.r1, c.r2, c.r3);
    this["id.resp_p"] = c.rPort;
    if (c.origin !== 0) (this as { [MIRROR_ORIGIN]?: number })[MIRROR_ORIGIN] = c.origin;
  }
}
