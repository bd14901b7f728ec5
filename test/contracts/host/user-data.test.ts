import { describe, expect, it } from "vitest";
import { parsePinBlock, replacePinBlock } from "../../../contracts/config/index.js";
import {
  parseSensorUserData,
  renderSensorUserData,
  UserDataFormatError,
  userDataLogStream,
} from "../../../contracts/host/index.js";

const pins = {
  "collector-url": { name: "/spanless/prod/collector-url", version: 3 },
  "push-token": { name: "/spanless/prod/push-token", version: 12 },
  proxy: null,
  "os-sensor-hmac": { name: "/spanless/prod/os-sensor-hmac", version: 2 },
} as const;
const settings = {
  logGroup: "/spanless/prod/sensors",
  autoScalingGroup: "spanless-prod-sensors",
  lifecycleHook: "spanless-prod-launch",
};

describe("sensor user data", () => {
  it("round-trips the pins and boot settings", () => {
    // Act
    const userData = renderSensorUserData(pins, settings);
    // Assess
    expect(userData.startsWith("#!/bin/bash\n")).toBe(true);
    expect(parseSensorUserData(userData)).toEqual({ pins, settings });
  });

  it("survives the instance-refresh function rewriting the pin block", () => {
    // Prepare
    const userData = renderSensorUserData(pins, settings);
    const next = { ...pins, "push-token": { name: "/spanless/prod/push-token", version: 13 } };
    // Act
    const rewritten = replacePinBlock(userData, next);
    // Assess
    expect(parsePinBlock(rewritten)).toEqual(next);
    expect(parseSensorUserData(rewritten).settings).toEqual(settings);
  });

  it("refuses a setting that would break out of the shell line", () => {
    expect(() => renderSensorUserData(pins, { ...settings, logGroup: "/x; curl evil" })).toThrow(
      /logGroup .* must be 1-512 characters/,
    );
  });

  it("names what is missing in hand-edited user data", () => {
    expect(() => parseSensorUserData("#!/bin/bash\n")).toThrow(UserDataFormatError);
    const noBoot = renderSensorUserData(pins, settings).replace(/^exec .*$/m, "");
    expect(() => parseSensorUserData(noBoot)).toThrow(/no "exec \/usr\/local\/bin\/spanless bootstrap" line/);
    const noHook = renderSensorUserData(pins, settings).replace(/ --lifecycle-hook \S+/, "");
    expect(() => parseSensorUserData(noHook)).toThrow(/no --lifecycle-hook value/);
  });

  it("names the boot log stream the health function reads", () => {
    expect(userDataLogStream("i-0abc")).toBe("i-0abc-userdata");
  });
});

describe("optional boot settings", () => {
  it("carries the PCAP bucket when there is one", () => {
    const withBucket = { ...settings, pcapBucket: "spanless-prod-records-123" };
    expect(parseSensorUserData(renderSensorUserData(pins, withBucket)).settings).toEqual(withBucket);
    expect(parseSensorUserData(renderSensorUserData(pins, settings)).settings).not.toHaveProperty(
      "pcapBucket",
    );
  });
});

describe("the VNI map boot setting", () => {
  const vniMap = "s3://spanless-prod-123456789012-eu-west-1/spanless/vni-map.json";

  it("renders --vni-map on the boot line and reads it back", () => {
    // Act
    const userData = renderSensorUserData(pins, { ...settings, pcapBucket: "b-1", vniMap });

    // Assess
    expect(userData).toMatch(
      /^exec \/usr\/local\/bin\/spanless bootstrap .* --pcap-bucket b-1 --vni-map s3:\/\/\S+ >>/m,
    );
    expect(parseSensorUserData(userData).settings).toEqual({ ...settings, pcapBucket: "b-1", vniMap });
    expect(parseSensorUserData(renderSensorUserData(pins, settings)).settings).not.toHaveProperty("vniMap");
  });

  it("survives the instance-refresh function rewriting the pin block", () => {
    // Prepare
    const userData = renderSensorUserData(pins, { ...settings, vniMap });

    // Act
    const rewritten = replacePinBlock(userData, {
      ...pins,
      proxy: { name: "/spanless/prod/proxy", version: 1 },
    });

    // Assess
    expect(parseSensorUserData(rewritten).settings.vniMap).toBe(vniMap);
  });

  it("refuses anything but one S3 object's URL, and anything unsafe on the shell line", () => {
    for (const bad of ["s3://bucket", "s3://bucket/", "https://bucket/key", "s3://Bucket/key", "bucket/key"])
      expect(() => renderSensorUserData(pins, { ...settings, vniMap: bad }), bad).toThrow(
        /vniMap .* must be "s3:\/\/<bucket>\/<key>"/,
      );
    expect(() => renderSensorUserData(pins, { ...settings, vniMap: "s3://b-1/k;reboot" })).toThrow(
      /must be 1-512 characters/,
    );
  });

  it("refuses a hand-edited boot line whose --vni-map is missing its value or is not an object URL", () => {
    // Prepare
    const userData = renderSensorUserData(pins, { ...settings, vniMap });

    // Act / Assess
    expect(() => parseSensorUserData(userData.replace(/ --vni-map \S+/, " --vni-map"))).toThrow(
      /no --vni-map value/,
    );
    expect(() => parseSensorUserData(userData.replace(/--vni-map \S+/, "--vni-map s3://b-1/"))).toThrow(
      UserDataFormatError,
    );
  });
});
