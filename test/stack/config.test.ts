// The stack config: every rule refuses with the field and the fix; the examples are valid; the cross-zone rule
// stops the real CLI with a non-zero exit.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseStackConfig, StackConfigError } from "../../stack/config/load.js";
import { newVpcLayout, type StackConfigInput } from "../../stack/config/schema.js";
import { baseConfig, evaluateStack, inventory } from "./support/inventory.js";

function problems(input: unknown, stage = "dev"): string[] {
  try {
    parseStackConfig(input, stage, "test.json");
  } catch (err) {
    if (err instanceof StackConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const threeAzs = (sensors: Partial<StackConfigInput["sensors"]>): StackConfigInput =>
  baseConfig({
    vpc: { mode: "new", cidr: "10.40.0.0/16", azs: ["us-east-1a", "us-east-1b", "us-east-1c"] },
    sensors: { ...baseConfig().sensors, ...sensors },
  });

describe("cross-zone rule", () => {
  it("refuses min and desired below the AZ count when cross-zone is off, explaining why", () => {
    // Prepare
    const config = threeAzs({ min: 2, desired: 2, max: 4, crossZone: false });

    // Act
    const found = problems(config);

    // Assess
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^sensors\.min: is 2 but must be at least 3/);
    expect(found[1]).toMatch(/^sensors\.desired: is 2 but must be at least 3/);
    expect(found[0]).toMatch(/only to sensors in its own AZ/);
    expect(found[0]).toMatch(/or set sensors\.crossZone to true/);
  });

  it("accepts the same counts with cross-zone on", () => {
    // Prepare
    const config = threeAzs({ min: 2, desired: 2, max: 4, crossZone: true });

    // Act
    const found = problems(config);

    // Assess
    expect(found).toEqual([]);
  });

  it("stops the inventory CLI with exit 1 and the explanation; the fixed config evaluates", async () => {
    // Prepare
    const refused = threeAzs({ min: 1, desired: 3, max: 4, crossZone: false });
    const fixed = threeAzs({ min: 3, desired: 3, max: 4, crossZone: false });

    // Act
    const bad = await evaluateStack(refused);
    const good = await evaluateStack(fixed);

    // Assess
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/sensors\.min: is 1 but must be at least 3, one sensor per AZ/);
    expect(bad.stderr).not.toMatch(/- sensors\.desired:/);
    expect(good.status, good.stderr).toBe(0);
  });

  it("counts the sensor subnets' AZs in existing-VPC mode", () => {
    // Prepare
    const config = baseConfig({
      vpc: {
        mode: "existing",
        vpcId: "vpc-0a1b2c3d4e5f60718",
        cidr: "10.20.0.0/16",
        sensorSubnets: [
          { id: "subnet-0aa11bb22cc33dd44", az: "eu-west-1a", cidr: "10.20.1.0/24" },
          { id: "subnet-0aa11bb22cc33dd55", az: "eu-west-1b", cidr: "10.20.2.0/24" },
        ],
      },
      sensors: { ...baseConfig().sensors, min: 1, desired: 2 },
    });

    // Act
    const found = problems(config);

    // Assess
    expect(found).toEqual([expect.stringMatching(/^sensors\.min: is 1 but must be at least 2/)]);
  });
});

describe("region", () => {
  it("refuses AZs of another region once the deploy's region is known", async () => {
    // Prepare
    const file = "examples/stack/existing-vpc.json";

    // Act
    const result = await evaluateStack(file, { stage: "prod", region: "us-east-1" });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /vpc\.sensorSubnets\[0\]\.az: eu-west-1a is not in the region being deployed to, us-east-1: use us-east-1's zones/,
    );
  });
});

describe("config problems name the field and the fix", () => {
  it.each([
    ["no alarm destination", { alarms: {} }, /^alarms: set alarms\.email .* or alarms\.topicArn/],
    [
      "desired below min",
      { sensors: { ...baseConfig().sensors, min: 3, desired: 2, max: 4 } },
      /^sensors\.desired: must be at least sensors\.min \(3\)/,
    ],
    [
      "max below desired",
      { sensors: { ...baseConfig().sensors, max: 1 } },
      /^sensors\.max: must be at least sensors\.desired \(2\)/,
    ],
    [
      "a zone ID instead of a name",
      { vpc: { mode: "new", cidr: "10.40.0.0/16", azs: ["use1-az1", "us-east-1b"] } },
      /^vpc\.azs\[0\]: must be an Availability Zone name/,
    ],
    [
      "a CIDR with host bits",
      { vpc: { mode: "new", cidr: "10.40.3.0/16", azs: ["us-east-1a", "us-east-1b"] } },
      /^vpc\.cidr: "10\.40\.3\.0\/16" has host bits set; use the network address \(e\.g\. 10\.40\.0\.0\/16\)/,
    ],
    [
      "VXLAN from everywhere",
      { mirror: { sourceCidrs: ["0.0.0.0/0"] } },
      /^mirror\.sourceCidrs\[0\]: 0\.0\.0\.0\/0 would open this to every address/,
    ],
    ["an unknown field", { sensorz: {} }, /^\(top level\): unknown field\(s\) "sensorz"/],
    [
      "a bad log retention",
      { logRetentionDays: 10 },
      /^logRetentionDays: must be one of CloudWatch Logs' retention values/,
    ],
    [
      "a collector without a certificate",
      { collector: { enabled: true, domainName: "collector.example.com" } },
      /^collector\.certificateArn: an enabled collector needs domainName and certificateArn/,
    ],
    [
      "a public collector without allowed ranges",
      {
        collector: {
          enabled: true,
          public: true,
          domainName: "collector.example.com",
          certificateArn:
            "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        },
      },
      /^collector\.allowedCidrs: a public collector needs allowedCidrs/,
    ],
    [
      "a bad parameter prefix",
      { parameters: { prefix: "spanless/dev" } },
      /^parameters\.prefix: parameter prefix "spanless\/dev" must start with "\/"/,
    ],
  ])("%s", (_what, overrides, expected) => {
    // Prepare
    const config = { ...baseConfig(), ...overrides };

    // Act
    const found = problems(config);

    // Assess
    expect(found).toContainEqual(expect.stringMatching(expected));
  });

  it("refuses more sensor subnets than one mirror filter has rules for", () => {
    // Prepare
    const subnets = ["a", "b", "c", "d"].map((z, i) => ({
      id: `subnet-0aa11bb22cc33dd4${i}`,
      az: `eu-west-1${z}`,
      cidr: `10.20.${i}.0/24`,
    }));
    const config = baseConfig({
      vpc: { mode: "existing", vpcId: "vpc-0a1b2c3d4e5f60718", cidr: "10.20.0.0/16", sensorSubnets: subnets },
      sensors: { ...baseConfig().sensors, min: 4, desired: 4, max: 8 },
    });

    // Act
    const found = problems(config);

    // Assess
    expect(found).toEqual([
      expect.stringMatching(
        /^vpc\.sensorSubnets: 4 sensor subnet ranges need 8 reject rules plus 4 accept rules/,
      ),
    ]);
  });

  it("refuses a created subnet without a route table and a subnet outside the VPC", () => {
    // Prepare
    const config = baseConfig({
      vpc: {
        mode: "existing",
        vpcId: "vpc-0a1b2c3d4e5f60718",
        cidr: "10.20.0.0/16",
        sensorSubnets: [
          { az: "eu-west-1a", cidr: "10.20.1.0/24" },
          { id: "subnet-0aa11bb22cc33dd44", az: "eu-west-1b", cidr: "10.99.2.0/24" },
        ],
      },
    });

    // Act
    const found = problems(config);

    // Assess
    expect(found).toContainEqual(
      expect.stringMatching(/^vpc\.sensorSubnets\[0\]\.routeTableId: is required/),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^vpc\.sensorSubnets\[1\]\.cidr: 10\.99\.2\.0\/24 is not inside the VPC's 10\.20\.0\.0\/16/,
      ),
    );
  });

  it("refuses a bad stage name before anything else", () => {
    // Prepare
    const config = baseConfig();

    // Act
    const found = problems(config, "Prod_1");

    // Assess
    expect(found).toEqual([expect.stringMatching(/^stage "Prod_1": use 1-32 lowercase letters/)]);
  });
});

describe("defaults and examples", () => {
  it.each(["examples/stack/new-vpc.json", "examples/stack/existing-vpc.json"])("%s is valid", (file) => {
    // Prepare
    const json = JSON.parse(readFileSync(file, "utf8"));

    // Act
    const found = problems(json, "prod");

    // Assess
    expect(found).toEqual([]);
  });

  it("names the four parameters /spanless/<stage>/<key> unless a prefix is given", () => {
    // Prepare
    const input = baseConfig();

    // Act
    const byStage = parseStackConfig(input, "prod");
    const byPrefix = parseStackConfig({ ...input, parameters: { prefix: "/acme/sensors" } }, "prod");

    // Assess
    expect(byStage.parameterNames).toEqual({
      "collector-url": "/spanless/prod/collector-url",
      "push-token": "/spanless/prod/push-token",
      proxy: "/spanless/prod/proxy",
      "os-sensor-hmac": "/spanless/prod/os-sensor-hmac",
    });
    expect(byPrefix.parameterNames["push-token"]).toBe("/acme/sensors/push-token");
  });

  it("splits a new VPC into private subnets in the lower half and public ones in the upper half", () => {
    // Prepare
    const azs = ["us-east-1a", "us-east-1b", "us-east-1c"];

    // Act
    const layout = newVpcLayout("10.40.0.0/16", azs);

    // Assess
    expect(layout.private.map((s) => s.cidr)).toEqual(["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]);
    expect(layout.public.map((s) => s.cidr)).toEqual(["10.40.128.0/19", "10.40.160.0/19", "10.40.192.0/19"]);
    expect(layout.sensorRange).toBe("10.40.0.0/17");
  });

  it("reads the stage's file from SPANLESS_STACK_CONFIG in the real run", async () => {
    // Prepare
    const file = "examples/stack/existing-vpc.json";

    // Act
    const inv = await inventory(file, { stage: "prod", region: "eu-west-1" });

    // Assess
    expect(inv.outputs.SensorLogGroup).toBe("/spanless/prod/sensors");
  });
});
