// The sensor instance role: exactly what the boot and the sensor do, nothing else (issue #14).
//   - read the four configuration parameters (GetParameter(s) on their ARNs, with a :version selector too);
//   - decrypt them, only through SSM and only for those parameters (KMS encryption context PARAMETER_ARN);
//   - write its log streams (CloudWatch agent: userdata, sensor, metrics; Session Manager session logs);
//   - upload PCAPs under pcaps/ (and the bucket key that encrypts them, only through S3);
//   - read the VNI map the mirror-on-launch reconciler publishes (that one object; decrypted through S3 only);
//   - complete the launch lifecycle action of its own group;
//   - Session Manager: AWS's minimal instance policy (UpdateInstanceInformation + the four ssmmessages
//     channel actions, which have no resource types) and kms:Decrypt of the stack key for the encrypted
//     session. AmazonSSMManagedInstanceCore is NOT attached: it allows ssm:GetParameter(s) on every parameter.
import { SENSOR_CONFIG_KEYS } from "../../contracts/config/names.js";
import type { Account } from "../account.js";
import type { StackConfig } from "../config/schema.js";
import type { StackContext, Storage } from "../context.js";
import { PCAP_PREFIX, type StackNames, VNI_MAP_KEY } from "../names.js";
import { sessionManagerInstanceStatements } from "../session-manager.js";

/** `arn:<p>:ssm:<region>:<account>:parameter/spanless/<stage>/<key>` for each key (names start with "/"). */
/** Trust policy of an instance role (the sensors', the reference collector's): EC2 instances only. */
export const EC2_TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Ec2InstancesOnly",
      Effect: "Allow",
      Principal: { Service: "ec2.amazonaws.com" },
      Action: "sts:AssumeRole",
    },
  ],
};

export function parameterArns(config: StackConfig, where: Account): StackContext["parameterArns"] {
  const arns = {} as StackContext["parameterArns"];
  for (const key of SENSOR_CONFIG_KEYS) {
    arns[key] =
      $interpolate`arn:${where.partition}:ssm:${where.region}:${where.accountId}:parameter${config.parameterNames[key]}`;
  }
  return arns;
}

export function sensorRole(
  config: StackConfig,
  names: StackNames,
  where: Account,
  store: Storage,
  parameters: StackContext["parameterArns"],
) {
  const { region, accountId, partition } = where;
  const role = new aws.iam.Role("SensorRole", {
    name: names.sensorRole,
    description: `Spanless ${config.stage} sensor instances`,
    assumeRolePolicy: JSON.stringify(EC2_TRUST_POLICY),
  });
  const parameterArnList = SENSOR_CONFIG_KEYS.map((k) => parameters[k]);
  // The parameters' key: the configured customer-managed key, else any key in the account (the AWS managed
  // aws/ssm key's ID is not known before the first SecureString exists); either way only through SSM and
  // only for these parameters.
  const parameterKey =
    config.parameters.kmsKeyArn ?? $interpolate`arn:${partition}:kms:${region}:${accountId}:key/*`;
  const asgArn = $interpolate`arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${names.autoScalingGroup}`;
  new aws.iam.RolePolicy("SensorRolePolicy", {
    role: role.id,
    name: "spanless-sensor",
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadTheNamedConfigurationParameters",
          Effect: "Allow",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: parameterArnList,
        },
        {
          Sid: "DecryptTheConfigurationThroughSsmOnly",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: parameterKey,
          Condition: {
            StringEquals: {
              "kms:ViaService": $interpolate`ssm.${region}.amazonaws.com`,
              "kms:EncryptionContext:PARAMETER_ARN": parameterArnList,
            },
          },
        },
        {
          Sid: "WriteTheSensorLogStreams",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [store.logGroup.arn, $interpolate`${store.logGroup.arn}:log-stream:*`],
        },
        {
          Sid: "SessionManagerChecksTheLogGroupIsEncrypted",
          Effect: "Allow",
          Action: "logs:DescribeLogGroups",
          Resource: $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
        {
          Sid: "UploadPcapsUnderTheirPrefix",
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: $interpolate`${store.bucket.arn}/${PCAP_PREFIX}*`,
        },
        {
          Sid: "EncryptUploadsThroughS3Only",
          Effect: "Allow",
          Action: "kms:GenerateDataKey",
          Resource: store.kmsKey.arn,
          Condition: { StringEquals: { "kms:ViaService": $interpolate`s3.${region}.amazonaws.com` } },
        },
        {
          Sid: "ReadTheVniMap",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: $interpolate`${store.bucket.arn}/${VNI_MAP_KEY}`,
        },
        {
          // The bucket is SSE-KMS with the stack key. With an S3 bucket key the encryption context is the
          // bucket's ARN, not the object's, so only the service is conditioned on (as for the uploads).
          Sid: "DecryptTheVniMapThroughS3Only",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: store.kmsKey.arn,
          Condition: { StringEquals: { "kms:ViaService": $interpolate`s3.${region}.amazonaws.com` } },
        },
        {
          Sid: "CompleteTheLaunchLifecycleActionOfItsGroup",
          Effect: "Allow",
          Action: "autoscaling:CompleteLifecycleAction",
          Resource: asgArn,
        },
        ...sessionManagerInstanceStatements(store.kmsKey.arn),
      ],
    }),
  });
  const instanceProfile = new aws.iam.InstanceProfile("SensorInstanceProfile", {
    name: names.sensorRole,
    role: role.name,
  });
  return { role, instanceProfile };
}
