// The stack's KMS key, the records/PCAP bucket and the sensors' log group. One customer-managed key encrypts
// the bucket (SSE-KMS with a bucket key, so S3 calls KMS once per bucket key rather than per object), the log
// group and Session Manager sessions; the key policy lets the account's IAM policies grant its use (root
// statement) and CloudWatch Logs use it for this stage's log groups only.
import type { Account } from "./account.js";
import type { StackConfig } from "./config/schema.js";
import type { Storage } from "./context.js";
import { ATHENA_RESULTS_PREFIX, PCAP_PREFIX, RECORDS_PREFIX, type StackNames } from "./names.js";

/** Athena query results are working files: a month is enough to re-read a result. */
export const ATHENA_RESULTS_RETENTION_DAYS = 30;
/** Parts of an interrupted multipart upload (a large PCAP) are billed until aborted. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

/** S3 bucket names are at most 63 characters: the stage part is shortened for very long stage names. */
export function bucketName(base: string, accountId: string, region: string): string {
  const suffix = `-${accountId}-${region}`;
  return `${base.slice(0, 63 - suffix.length).replace(/-+$/, "")}${suffix}`;
}

export function storage(config: StackConfig, names: StackNames, where: Account): Storage {
  const { region, accountId, partition } = where;
  const kmsKey = new aws.kms.Key("Key", {
    description: `Spanless ${config.stage}: records and PCAP bucket, sensor logs, Session Manager sessions`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministersTheKeyAndIamPoliciesGrantItsUse",
          Effect: "Allow",
          Principal: { AWS: $interpolate`arn:${partition}:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          // The sensors' group (/spanless/<stage>/…) and the stage's Lambda log groups (stack/operations).
          Sid: "CloudWatchLogsEncryptsThisStagesLogGroups",
          Effect: "Allow",
          Principal: { Service: $interpolate`logs.${region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: {
            ArnLike: {
              "kms:EncryptionContext:aws:logs:arn": [
                $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/spanless/${config.stage}/*`,
                $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${names.base}-*`,
              ],
            },
          },
        },
      ],
    }),
  });
  new aws.kms.Alias("KeyAlias", { name: `alias/${names.base}`, targetKeyId: kmsKey.keyId });

  const bucket = new aws.s3.Bucket("Bucket", {
    bucket: $resolve([accountId, region]).apply(([a, r]) => bucketName(names.base, a, r)),
    // A stage that is removed takes its records with it, unless it is retained (prod, sst.config.ts).
    forceDestroy: $app.removal === "remove",
  });
  new aws.s3.BucketOwnershipControls("BucketOwnership", {
    bucket: bucket.id,
    rule: { objectOwnership: "BucketOwnerEnforced" },
  });
  new aws.s3.BucketPublicAccessBlock("BucketPublicAccessBlock", {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketServerSideEncryptionConfiguration("BucketEncryption", {
    bucket: bucket.id,
    rules: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKey.arn },
        bucketKeyEnabled: true,
      },
    ],
  });
  const expirations = [
    { id: "expire-pcaps", prefix: PCAP_PREFIX, days: config.pcapRetentionDays },
    { id: "expire-athena-results", prefix: ATHENA_RESULTS_PREFIX, days: ATHENA_RESULTS_RETENTION_DAYS },
    ...(config.recordsRetentionDays === undefined
      ? []
      : [{ id: "expire-records", prefix: RECORDS_PREFIX, days: config.recordsRetentionDays }]),
  ];
  new aws.s3.BucketLifecycleConfiguration("BucketLifecycle", {
    bucket: bucket.id,
    rules: [
      ...expirations.map(({ id, prefix, days }) => ({
        id,
        status: "Enabled",
        filter: { prefix },
        expiration: { days },
      })),
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: { prefix: "" },
        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS },
      },
    ],
  });
  new aws.s3.BucketPolicy("BucketPolicy", {
    bucket: bucket.id,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyRequestsWithoutTls",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, $interpolate`${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });

  const logGroup = new aws.cloudwatch.LogGroup("SensorLogGroup", {
    name: names.logGroup,
    retentionInDays: config.logRetentionDays,
    kmsKeyId: kmsKey.arn,
  });

  return { kmsKey, bucket, logGroup };
}
