// Session Manager preferences for the sensors (the seed's recommendation over SSH and bastions): sessions
// encrypted with the stack key and logged to the sensors' log group. A document of its own rather than the
// account-wide SSM-SessionManagerRunShell (which may already exist): start sessions with
//   aws ssm start-session --target <instance-id> --document-name <SessionManagerDocument output>
import type { StackConfig } from "./config/schema.js";
import type { Storage } from "./context.js";
import type { StackNames } from "./names.js";

export const IDLE_SESSION_TIMEOUT_MINUTES = 20;
export const MAX_SESSION_DURATION_MINUTES = 60;

export function sessionManagerDocument(config: StackConfig, names: StackNames, store: Storage) {
  return new aws.ssm.Document("SessionManagerPreferences", {
    name: names.sessionManagerDocument,
    documentType: "Session",
    documentFormat: "JSON",
    content: $jsonStringify({
      schemaVersion: "1.0",
      description: `Spanless ${config.stage}: encrypted sessions logged to ${names.logGroup}`,
      sessionType: "Standard_Stream",
      inputs: {
        s3BucketName: "",
        s3KeyPrefix: "",
        s3EncryptionEnabled: true,
        cloudWatchLogGroupName: store.logGroup.name,
        cloudWatchEncryptionEnabled: true,
        cloudWatchStreamingEnabled: true,
        kmsKeyId: store.kmsKey.arn,
        runAsEnabled: false,
        runAsDefaultUser: "",
        idleSessionTimeout: String(IDLE_SESSION_TIMEOUT_MINUTES),
        maxSessionDuration: String(MAX_SESSION_DURATION_MINUTES),
        shellProfile: { linux: "", windows: "" },
      },
    }),
  });
}

/**
 * What an instance role needs for Session Manager without AmazonSSMManagedInstanceCore (which would also
 * allow reading every parameter in the account): register the instance and open its channels — these
 * actions have no resource-level permissions, hence "*" — and decrypt the sessions encrypted with the stack
 * key. Writing the session logs is the caller's statement, scoped to its own log group.
 */
export function sessionManagerInstanceStatements(kmsKeyArn: $util.Input<string>) {
  return [
    {
      Sid: "SessionManagerRegistersTheInstance",
      Effect: "Allow",
      Action: [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: "*",
    },
    { Sid: "SessionManagerDecryptsTheSession", Effect: "Allow", Action: "kms:Decrypt", Resource: kmsKeyArn },
  ];
}
