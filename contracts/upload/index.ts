// The upload contract: the batch envelope a sensor POSTs to a collector, its push-token signature and the
// storage layout. Pure code (zod, node:crypto, node:buffer): the sensor's uploader and the collector both
// import it, and README.md documents the wire format for other implementations.
export * from "./envelope.js";
export * from "./errors.js";
export * from "./handshake.js";
export * from "./layout.js";
export * from "./signature.js";
export * from "./token.js";
