// The KMS key, the records/PCAP bucket, the sensors' log group and the Session Manager preferences.
import { beforeAll, describe, expect, it } from "vitest";
import { baseConfig, type Inventory, inventory, statements } from "./support/inventory.js";

const BUCKET = "spanless-dev-123456789012-us-east-1";
let inv: Inventory;
let keyArn: string;
beforeAll(async () => {
  inv = await inventory(baseConfig({ pcapRetentionDays: 9, logRetentionDays: 90 }));
  keyArn = inv.outputs.KmsKeyArn;
});

describe("KMS key", () => {
  it("rotates, and lets CloudWatch Logs use it only for this stage's log groups", () => {
    // Act
    const key = inv.named("aws:kms/key:Key", "Key");
    const policy = statements(key.inputs.policy);
    const logs = policy.find((s) => s.Sid === "CloudWatchLogsEncryptsThisStagesLogGroups");

    // Assess
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(logs?.Principal).toEqual({ Service: "logs.us-east-1.amazonaws.com" });
    expect(logs?.Condition).toEqual({
      ArnLike: {
        "kms:EncryptionContext:aws:logs:arn": [
          "arn:aws:logs:us-east-1:123456789012:log-group:/spanless/dev/*",
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/spanless-dev-*",
        ],
      },
    });
  });
});

describe("bucket", () => {
  it("blocks every kind of public access and disables ACLs", () => {
    // Act
    const block = inv.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    const ownership = inv.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls");

    // Assess
    expect(block.inputs).toEqual({
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(ownership.inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
  });

  it("denies every request without TLS, and its policy grants nothing", () => {
    // Act
    const policy = statements(inv.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);

    // Assess
    expect(policy).toEqual([
      {
        Sid: "DenyRequestsWithoutTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("encrypts with the stack's KMS key (SSE-KMS, bucket key)", () => {
    // Act
    const sse = inv.one(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );

    // Assess
    expect(sse.inputs.rules).toEqual([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
        bucketKeyEnabled: true,
      },
    ]);
  });

  it("expires PCAPs after pcapRetentionDays and keeps records unless told otherwise", async () => {
    // Prepare
    const withRecords = await inventory(
      baseConfig({ pcapRetentionDays: 9, logRetentionDays: 90, recordsRetentionDays: 400 }),
    );

    // Act
    const rules = inv.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
    const rulesWithRecords = withRecords.one(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    ).inputs.rules;

    // Assess
    expect(rules).toContainEqual({
      id: "expire-pcaps",
      status: "Enabled",
      filter: { prefix: "pcaps/" },
      expiration: { days: 9 },
    });
    expect(rules.some((r: { filter: { prefix: string } }) => r.filter.prefix === "records/")).toBe(false);
    expect(rulesWithRecords).toContainEqual({
      id: "expire-records",
      status: "Enabled",
      filter: { prefix: "records/" },
      expiration: { days: 400 },
    });
  });
});

describe("sensor log group", () => {
  it("has the stage's name, the configured retention and the stack key", () => {
    // Act
    const group = inv.named("aws:cloudwatch/logGroup:LogGroup", "SensorLogGroup");

    // Assess
    expect(group.inputs).toEqual({ name: "/spanless/dev/sensors", retentionInDays: 90, kmsKeyId: keyArn });
  });
});

describe("Session Manager preferences", () => {
  it("encrypts sessions with the stack key and logs them, encrypted, to the sensors' log group", () => {
    // Act
    const doc = inv.one("aws:ssm/document:Document");
    const content = JSON.parse(doc.inputs.content);

    // Assess
    expect(doc.inputs).toMatchObject({
      documentType: "Session",
      documentFormat: "JSON",
      name: "spanless-dev-session-preferences",
    });
    expect(content.sessionType).toBe("Standard_Stream");
    expect(content.inputs).toMatchObject({
      kmsKeyId: keyArn,
      cloudWatchLogGroupName: "/spanless/dev/sensors",
      cloudWatchEncryptionEnabled: true,
      runAsEnabled: false,
    });
    expect(inv.outputs.SessionManagerDocument).toBe("spanless-dev-session-preferences");
  });
});
