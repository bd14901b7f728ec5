// HTTP/1.x protocol analyzer: http.log records with Zeek's field names.

import type { StreamAnalyzerFactory } from "../types.js";
import { HttpAnalyzer } from "./analyzer.js";
import { probeHttp } from "./probe.js";

export { MAX_HEADER_BLOCK_BYTES } from "./limits.js";
export { HTTP_SCHEMA } from "./schema.js";

export const http: StreamAnalyzerFactory = {
  service: "http",
  transport: "tcp",
  ports: [80, 8080, 8000, 8008, 8888, 3128],
  probe: probeHttp,
  create: (ctx) => new HttpAnalyzer(ctx),
};
