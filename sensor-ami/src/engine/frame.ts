// The engine's input: one link-layer frame with its capture metadata. Every frame source fills
// one (the pcap/pcapng reader today, a live UDP source next), so the engine depends on no source.
//
// A class rather than an interface so that every source hands the engine objects of one hidden
// class (the engine's reads stay monomorphic), and a source refills one Frame for every frame
// instead of allocating: the fields are a view that is valid until the source's next call.

export class Frame {
  /** The bytes holding the frame (a source's reused buffer: the frame is data[offset, offset + caplen)). */
  data: Uint8Array = Buffer.alloc(0);
  offset = 0;
  /** Bytes of the frame present in `data` (the snap length may have cut it). */
  caplen = 0;
  /** The frame's length on the wire. */
  origlen = 0;
  /** Seconds since the epoch (µs precision is what a double keeps at this magnitude); NaN until read. */
  ts = Number.NaN;
  /** The frame's link type (LINKTYPE_* number); negative when the source cannot tell. */
  linkType = 0;
  /** The capture interface the frame came from (pcapng); 0 for single-interface sources. */
  interfaceId = 0;
  /** 1-based frame number in the source, as tshark and Zeek's weird.log report it. */
  index = 0;
  /**
   * Where a live source received the frame: a number the source interns for each mirror origin
   * (VNI and outer source address), stored on connections the frame opens and carried by their
   * log records (conn-id.ts); 0 for files.
   */
  origin = 0;
}
