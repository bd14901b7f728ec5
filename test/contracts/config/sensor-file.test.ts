import { describe, expect, it } from "vitest";
import { parseListen, parseSensorFile, SensorFileError } from "../../../contracts/config/sensor-file.js";

function problems(input: unknown): string[] {
  try {
    parseSensorFile(input);
  } catch (err) {
    if (err instanceof SensorFileError) return err.problems;
    throw err;
  }
  return [];
}

describe("sensor configuration file", () => {
  it("fills the defaults of a minimal file", () => {
    const c = parseSensorFile({ out: "/var/lib/spanless/logs" });
    expect(c).toMatchObject({
      listen: "0.0.0.0:4789",
      healthPort: 8080,
      workers: "auto",
      receiveBufferMB: 64,
      dedupWindowMs: 50,
      rotateSeconds: 3600,
    });
  });

  it("names every bad field and what is wrong with it", () => {
    const p = problems({
      out: "",
      listen: "4789",
      healthPort: 70000,
      workers: 0,
      colour: "red",
      dedupWindowMs: -1,
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^out: /),
        expect.stringMatching(/^listen: must be "<IPv4>:<port>"/),
        expect.stringMatching(/^healthPort: must be a port number/),
        expect.stringMatching(/^workers: /),
        expect.stringMatching(/^dedupWindowMs: /),
        expect.stringMatching(/unknown field\(s\) "colour"/),
      ]),
    );
  });

  it("never puts a secret value in a message", () => {
    const secret = "labelA:not a valid secret with spaces";
    const p = problems({ out: "/x", pushToken: secret, collectorUrl: "http://user:hunter2@c.example/" });
    expect(p.length).toBeGreaterThanOrEqual(2);
    for (const line of p) {
      expect(line).not.toContain("hunter2");
      expect(line).not.toContain("not a valid secret");
    }
  });

  it("parses IPv4 and bracketed IPv6 listen addresses and rejects the rest", () => {
    expect(parseListen("0.0.0.0:4789")).toEqual({ host: "0.0.0.0", port: 4789, family: 4 });
    expect(parseListen("[::]:4789")).toEqual({ host: "::", port: 4789, family: 6 });
    expect(parseListen("300.1.1.1:1")).toBeUndefined();
    expect(parseListen("::1:4789")).toBeUndefined();
    expect(parseListen("1.2.3.4:70000")).toBeUndefined();
  });

  it("allows a loopback collector (the local demo's) but keeps every other URL rule", () => {
    const token = "demo:0123456789abcdef0123";
    expect(
      parseSensorFile({ out: "/x", collectorUrl: "https://127.0.0.1:9443/", pushToken: token }).collectorUrl,
    ).toBe("https://127.0.0.1:9443/");
    expect(problems({ out: "/x", collectorUrl: "http://127.0.0.1:9443/", pushToken: token })).toEqual([
      expect.stringMatching(/^collectorUrl: must use https:\/\//),
    ]);
  });

  it("wants the collector URL and the push token together", () => {
    expect(problems({ out: "/x", collectorUrl: "https://collector.example.com/" })).toEqual([
      expect.stringMatching(/^pushToken: is required when collectorUrl is set/),
    ]);
    expect(problems({ out: "/x", pushToken: "demo:0123456789abcdef0123" })).toEqual([
      expect.stringMatching(/^collectorUrl: is required when pushToken is set/),
    ]);
  });

  it("takes the VNI map's S3 object with the local copy it is written to, and refuses half of it", () => {
    // Act
    const c = parseSensorFile({
      out: "/x",
      vniMap: "/var/lib/spanless/vni-map/vni-map.json",
      vniMapS3: "s3://records-bucket/spanless/vni-map.json",
      vniMapS3PollSeconds: 30,
      vniMapS3Endpoint: "http://127.0.0.1:5000",
    });

    // Assess
    expect(c).toMatchObject({
      vniMapS3: "s3://records-bucket/spanless/vni-map.json",
      vniMapS3PollSeconds: 30,
    });
    expect(problems({ out: "/x", vniMapS3: "s3://records-bucket/spanless/vni-map.json" })).toEqual([
      expect.stringMatching(/^vniMap: is required when vniMapS3 is set/),
    ]);
    expect(problems({ out: "/x", vniMap: "/m.json", vniMapS3: "s3://records-bucket/" })).toEqual([
      expect.stringMatching(/^vniMapS3: must be "s3:\/\/<bucket>\/<key>"/),
    ]);
    expect(
      problems({ out: "/x", vniMap: "/m.json", vniMapS3PollSeconds: 5, vniMapS3Endpoint: "http://e" }),
    ).toEqual([
      "vniMapS3PollSeconds: needs vniMapS3 (nothing is fetched without it)",
      "vniMapS3Endpoint: needs vniMapS3 (nothing is fetched without it)",
    ]);
    expect(
      problems({ out: "/x", vniMap: "/m.json", vniMapS3: "s3://records-bucket/k", vniMapS3PollSeconds: 0 }),
    ).toEqual([expect.stringMatching(/^vniMapS3PollSeconds: must be 1–3600 seconds/)]);
  });
});
