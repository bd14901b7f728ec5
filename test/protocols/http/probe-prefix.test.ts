// A request line cut by a segment boundary is still plausibly HTTP: probes must say Maybe, not No.
import { describe, expect, it } from "vitest";
import { http } from "../../../sensor-ami/src/protocols/http/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";

describe("HTTP probe on request lines cut short", () => {
  it.each([
    "GET /x",
    "GET /x ",
    "GET /x H",
    "GET /x HT",
    "GET /x HTTP/",
    "GET /x HTTP/1.",
    "OPTIONS * HTTP/1",
    // A known method then a blank: the URI may hold spaces (Zeek logs them), so the rest decides.
    "GET /x HTTP/2.0",
    "GET /x HXTP",
    "GET /x  HTTP",
  ])("%j is Maybe", (line) => {
    expect(http.probe(Buffer.from(line, "latin1"), true)).toBe(ProbeResult.Maybe);
  });

  it.each(["get /x HTTP/1.1", "GET/x HTTP/1.1", "SSH-2.0-OpenSSH_9.6", "HELLO, world"])(
    "%j is No",
    (line) => {
      expect(http.probe(Buffer.from(line, "latin1"), true)).toBe(ProbeResult.No);
    },
  );
});
