// Protocol inspection for the engine: TCP reassembly, content-based protocol detection and the
// protocol analyzers (dns, ssl, …) writing their logs through the engine's log sink.

import type { Inspector, WeirdSink } from "../engine/hooks.js";
import type { LogSink } from "../logs/writer.js";
import { ProtocolInspector } from "./inspector.js";
import { type AnalyzerRegistry, defaultRegistry } from "./registry.js";

export { INSPECTION_GIVEN_UP, ProtocolInspector, WEIRD_ANALYZER_ERROR } from "./inspector.js";
export { MAX_BUFFERED_BYTES_PER_CONNECTION } from "./reassembler.js";
export { type AnalyzerRegistry, defaultRegistry } from "./registry.js";

/**
 * Builds the inspector the engine calls; protocol records go to `sink` (the engine's log writer),
 * weirds to `weirds` (the engine's weird log).
 */
export function buildInspector(
  weirds: WeirdSink,
  sink: LogSink,
  registry: AnalyzerRegistry = defaultRegistry(sink),
): Inspector & ProtocolInspector {
  return new ProtocolInspector(weirds, sink, registry);
}
