// The sensor instance role: ssm:GetParameter(s) on exactly the named parameters, kms:Decrypt only via SSM,
// logs to its own group, s3:PutObject under its prefix, s3:GetObject of the VNI map, CompleteLifecycleAction on its group, Session Manager's
// minimal instance permissions, and nothing else: no managed policies, no wildcard actions.
import { beforeAll, describe, expect, it } from "vitest";
import {
  baseConfig,
  type Inventory,
  inventory,
  list,
  type Statement,
  statements,
} from "./support/inventory.js";

const ACCOUNT = "123456789012";
const PARAMETERS = ["collector-url", "push-token", "proxy", "os-sensor-hmac"].map(
  (k) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/spanless/dev/${k}`,
);

let inv: Inventory;
let policy: Statement[];
beforeAll(async () => {
  inv = await inventory(baseConfig());
  policy = statements(inv.named("aws:iam/rolePolicy:RolePolicy", "SensorRolePolicy").inputs.policy);
});

const bySid = (sid: string) => {
  const s = policy.find((p) => p.Sid === sid);
  if (s === undefined) throw new Error(`no statement ${sid}; have ${policy.map((p) => p.Sid).join(", ")}`);
  return s;
};

describe("sensor instance role", () => {
  it("is assumable by EC2 only and has no managed or extra policies", () => {
    // Act
    const role = inv.named("aws:iam/role:Role", "SensorRole");
    const trust = statements(role.inputs.assumeRolePolicy);
    const attachments = inv
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === "spanless-dev-sensor");
    const inline = inv
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === "spanless-dev-sensor");

    // Assess
    expect(trust).toEqual([
      {
        Sid: "Ec2InstancesOnly",
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(attachments).toEqual([]);
    expect(inline).toHaveLength(1);
    expect(inv.named("aws:iam/instanceProfile:InstanceProfile", "SensorInstanceProfile").inputs.role).toBe(
      "spanless-dev-sensor",
    );
  });

  it("grants exactly the listed statements, all Allow, no wildcard actions", () => {
    // Act
    const actions = policy.flatMap((s) => list(s.Action));

    // Assess
    expect(policy.map((s) => s.Sid)).toEqual([
      "ReadTheNamedConfigurationParameters",
      "DecryptTheConfigurationThroughSsmOnly",
      "WriteTheSensorLogStreams",
      "SessionManagerChecksTheLogGroupIsEncrypted",
      "UploadPcapsUnderTheirPrefix",
      "EncryptUploadsThroughS3Only",
      "ReadTheVniMap",
      "DecryptTheVniMapThroughS3Only",
      "CompleteTheLaunchLifecycleActionOfItsGroup",
      "SessionManagerRegistersTheInstance",
      "SessionManagerDecryptsTheSession",
    ]);
    expect(policy.every((s) => s.Effect === "Allow")).toBe(true);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });

  it("reads only the four named parameters, and no other statement mentions ssm:GetParameter", () => {
    // Act
    const read = bySid("ReadTheNamedConfigurationParameters");
    const elsewhere = policy.filter(
      (s) => s !== read && list(s.Action).some((a) => a.startsWith("ssm:GetParameter")),
    );

    // Assess
    expect(list(read.Action).sort()).toEqual(["ssm:GetParameter", "ssm:GetParameters"]);
    expect(list(read.Resource)).toEqual(PARAMETERS);
    expect(read.Condition).toBeUndefined();
    expect(elsewhere).toEqual([]);
  });

  it("decrypts the parameters only through SSM and only for those parameters", () => {
    // Act
    const decrypt = bySid("DecryptTheConfigurationThroughSsmOnly");

    // Assess
    expect(decrypt.Action).toBe("kms:Decrypt");
    expect(decrypt.Condition).toEqual({
      StringEquals: {
        "kms:ViaService": "ssm.us-east-1.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": PARAMETERS,
      },
    });
  });

  it("writes logs only to its own group", () => {
    // Act
    const logs = bySid("WriteTheSensorLogStreams");
    const group = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/spanless/dev/sensors`;

    // Assess
    expect(list(logs.Action).sort()).toEqual([
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]);
    expect(list(logs.Resource)).toEqual([group, `${group}:log-stream:*`]);
  });

  it("puts objects only under pcaps/ of the stack's bucket, encrypting through S3 only", () => {
    // Act
    const put = bySid("UploadPcapsUnderTheirPrefix");
    const encrypt = bySid("EncryptUploadsThroughS3Only");
    const s3Actions = policy.flatMap((s) => list(s.Action)).filter((a) => a.startsWith("s3:"));

    // Assess
    expect(s3Actions).toEqual(["s3:PutObject", "s3:GetObject"]);
    expect(put.Resource).toBe(`arn:aws:s3:::spanless-dev-${ACCOUNT}-us-east-1/pcaps/*`);
    expect(encrypt.Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
  });

  it("reads exactly the VNI map object, and decrypts it through S3 only", () => {
    // Act
    const read = bySid("ReadTheVniMap");
    const decrypt = bySid("DecryptTheVniMapThroughS3Only");
    const gets = policy.filter((s) => list(s.Action).some((a) => a.startsWith("s3:Get")));

    // Assess
    expect(read).toEqual({
      Sid: "ReadTheVniMap",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::spanless-dev-${ACCOUNT}-us-east-1/spanless/vni-map.json`,
    });
    expect(gets).toEqual([read]);
    expect(decrypt).toEqual({
      Sid: "DecryptTheVniMapThroughS3Only",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: bySid("EncryptUploadsThroughS3Only").Resource,
      Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
    });
    expect(decrypt.Resource).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
  });

  it("completes lifecycle actions only on its own group", () => {
    // Act
    const complete = bySid("CompleteTheLaunchLifecycleActionOfItsGroup");
    const asgActions = policy.flatMap((s) => list(s.Action)).filter((a) => a.startsWith("autoscaling:"));

    // Assess
    expect(asgActions).toEqual(["autoscaling:CompleteLifecycleAction"]);
    expect(complete.Resource).toBe(
      `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/spanless-dev-sensors`,
    );
  });

  it("uses Resource * only for Session Manager's registration actions, which have no resource types", () => {
    // Act
    const starred = policy.filter((s) => list(s.Resource).includes("*"));

    // Assess
    expect(starred.map((s) => s.Sid)).toEqual(["SessionManagerRegistersTheInstance"]);
    expect(list(starred[0].Action).sort()).toEqual([
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]);
  });

  it("names a configured parameter key instead of the account's keys", async () => {
    // Prepare
    const key = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const withKey = await inventory(baseConfig({ parameters: { kmsKeyArn: key } }));

    // Act
    const decrypt = statements(
      withKey.named("aws:iam/rolePolicy:RolePolicy", "SensorRolePolicy").inputs.policy,
    ).find((s) => s.Sid === "DecryptTheConfigurationThroughSsmOnly");

    // Assess
    expect(decrypt?.Resource).toBe(key);
    expect(bySid("DecryptTheConfigurationThroughSsmOnly").Resource).toBe(
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
    );
  });
});

describe("every IAM policy in the stack", () => {
  it("allows no EC2, Auto Scaling or SSM mutation on Resource * without a condition", async () => {
    // Prepare
    const documents = inv.resources.flatMap((r) => {
      if (r.type === "aws:iam/rolePolicy:RolePolicy" || r.type === "aws:iam/policy:Policy") {
        return [{ where: r.name, policy: statements(r.inputs.policy) }];
      }
      if (r.type === "aws:iam/role:Role") {
        return ((r.inputs.inlinePolicies ?? []) as { name: string; policy: string }[]).map((p) => ({
          where: `${r.name}/${p.name}`,
          policy: statements(p.policy),
        }));
      }
      return [];
    });
    const readOnly = /^(ec2|autoscaling|ssm):(Describe|Get|List)/;
    // Session Manager's registration has no resource types (see the sensor role's statement).
    const allowed = new Set(["ssm:UpdateInstanceInformation"]);

    // Act
    const offenders = documents.flatMap(({ where, policy }) =>
      policy
        .filter((s) => s.Effect === "Allow" && list(s.Resource).includes("*") && s.Condition === undefined)
        .flatMap((s) =>
          list(s.Action)
            .filter((a) => /^(ec2|autoscaling|ssm):/.test(a) && !readOnly.test(a) && !allowed.has(a))
            .map((a) => `${where}: ${a}`),
        ),
    );
    const wildcards = documents.flatMap(({ where, policy }) =>
      policy.flatMap((s) =>
        list(s.Action)
          .filter((a) => a === "*" || /^(ec2|autoscaling|ssm):\*$/.test(a))
          .map((a) => `${where}: ${a}`),
      ),
    );

    // Assess
    expect(documents.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
    expect(wildcards).toEqual([]);
  });
});
