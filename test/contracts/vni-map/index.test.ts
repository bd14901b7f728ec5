// The VNI map contract: what mirror-on-launch publishes to S3 reads back through parseVniMap unchanged,
// and anything else is refused with a message naming the field and what is wrong.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  parseVniMap,
  VNI_MAP_FORMAT_VERSION,
  type VniMap,
  VniMapFormatError,
} from "../../../contracts/vni-map/index.js";
import { buildVniMap, publishVniMap } from "../../../functions/mirror-on-launch/adapters/s3-vni-map.js";
import {
  eni,
  instance,
  inventory,
  OWNER,
  owned,
  VPC_A,
} from "../../functions/mirror-on-launch/support/builders.js";

const s3 = new S3Client({ region: "us-east-1" });
const mock = mockClient(s3);
afterEach(() => mock.reset());

/** The map the reconciler would build: two instances mirrored in one VPC, one without a subnet. */
function publishedMap(): VniMap {
  const web = instance(1, { tags: { Name: "web-1", env: "prod" } });
  const db = instance(2);
  const ew = eni(1, web);
  const ed = { ...eni(2, db), subnetId: undefined };
  const inv = inventory({ instances: [web, db], enis: [ew, ed] });
  return buildVniMap(
    inv,
    [owned(ew.eniId, { vni: 8_123_456 }), owned(ed.eniId, { vni: 8_123_456, sessionNumber: 2 })],
    OWNER,
    new Date("2026-11-24T01:00:00Z"),
  );
}

function rejection(input: unknown): VniMapFormatError {
  try {
    parseVniMap(input);
  } catch (error) {
    expect(error).toBeInstanceOf(VniMapFormatError);
    return error as VniMapFormatError;
  }
  throw new Error("expected parseVniMap to refuse the input");
}

describe("parseVniMap", () => {
  it("reads back exactly what the function publishes to S3", async () => {
    // Prepare
    mock.on(PutObjectCommand).resolves({});
    const map = publishedMap();
    // Act
    await publishVniMap(s3, "bucket", "spanless/vni-map.json", map);
    const body = mock.commandCalls(PutObjectCommand)[0].args[0].input.Body as string;
    const read = parseVniMap(body);
    // Assess
    expect(read).toEqual(JSON.parse(JSON.stringify(map)));
    expect(read.version).toBe(VNI_MAP_FORMAT_VERSION);
    expect(Object.keys(read.vnis)).toEqual(["8123456"]);
    expect(read.vnis["8123456"].vpcId).toBe(VPC_A);
    expect(Object.values(read.vnis["8123456"].sources).map((s) => s.tags)).toContainEqual({
      Name: "web-1",
      env: "prod",
    });
  });

  it("accepts an already parsed value and ignores fields it does not know", () => {
    // Prepare
    const map = { ...JSON.parse(JSON.stringify(publishedMap())), note: "added by a newer writer" };
    // Act
    const read = parseVniMap(map);
    // Assess
    expect(read).not.toHaveProperty("note");
    expect(read.owner).toBe(OWNER);
  });

  it("refuses text that is not JSON", () => {
    // Prepare / Act
    const error = rejection("{ not json");
    // Assess
    expect(error.message).toMatch(/^VNI map is not JSON: /);
  });

  it.each([
    ["a JSON array", [], /map: .*object/],
    [
      "another format version",
      { ...JSON.parse(JSON.stringify(publishedMap())), version: 2 },
      /version: must be 1/,
    ],
    ["a missing owner", { version: 1, generatedAt: "2026-11-24T01:00:00.000Z", vnis: {} }, /owner: /],
    [
      "a time that is not ISO 8601",
      { version: 1, generatedAt: "yesterday", owner: "spanless", vnis: {} },
      /generatedAt: must be an ISO 8601 UTC time/,
    ],
    [
      "a VNI key that is not a number",
      { version: 1, generatedAt: "2026-11-24T01:00:00.000Z", owner: "spanless", vnis: { abc: {} } },
      /vnis\.abc: VNI keys must be decimal numbers/,
    ],
    [
      "a VNI beyond 24 bits",
      {
        version: 1,
        generatedAt: "2026-11-24T01:00:00.000Z",
        owner: "spanless",
        vnis: { "16777216": { vpcId: "vpc-1", sources: {} } },
      },
      /VNI keys must be 0–16777215/,
    ],
  ])("refuses %s, naming the field", (_what, input, message) => {
    // Prepare / Act
    const error = rejection(input);
    // Assess
    expect(error.problems.join("\n")).toMatch(message);
    expect(error.message).toMatch(/^invalid VNI map: /);
  });

  it("names the source field that is wrong, under its VNI and IP", () => {
    // Prepare
    const map = JSON.parse(JSON.stringify(publishedMap())) as VniMap;
    const [ip] = Object.keys(map.vnis["8123456"].sources);
    (map.vnis["8123456"].sources[ip] as unknown as Record<string, unknown>).sessionNumber = 0;
    (map.vnis["8123456"].sources as Record<string, unknown>)["not-an-ip"] = map.vnis["8123456"].sources[ip];
    // Act
    const error = rejection(map);
    // Assess
    expect(error.problems).toContain(`vnis.8123456.sources.${ip}.sessionNumber: must be 1–32766`);
    expect(error.problems.join("\n")).toMatch(/vnis\.8123456\.sources\.not-an-ip: source keys must be IPv4/);
  });
});
