// SSH protocol analyzer: ssh.log records with Zeek's field names plus HASSH.

import { latin1 } from "../../text/bytes.js";
import { ProbeResult, type StreamAnalyzerFactory } from "../types.js";
import { SshAnalyzer } from "./analyzer.js";

export { SSH_SCHEMA } from "./schema.js";

const IDENTIFICATION = /^SSH-\d+\.\d+-/;
const PREFIX = "SSH-";

/** Either side opens with its identification string "SSH-protoversion-softwareversion". */
export function probeSsh(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  // Both answers need a first "S": most payloads are turned away without building text.
  if (bytes[0] !== 0x53) return ProbeResult.No;
  const head = latin1(bytes, 0, Math.min(bytes.length, 32));
  if (IDENTIFICATION.test(head)) return ProbeResult.Yes;
  if (head.length < 8 && head.length > 0 && (PREFIX.startsWith(head) || head.startsWith(PREFIX))) {
    return ProbeResult.Maybe;
  }
  return ProbeResult.No;
}

export const ssh: StreamAnalyzerFactory = {
  service: "ssh",
  transport: "tcp",
  ports: [22, 2222],
  probe: probeSsh,
  create: (ctx) => new SshAnalyzer(ctx),
};
