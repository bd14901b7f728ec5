// Publishes an on-call message to the SNS topic. A failure is thrown as NotificationPublishError so
// the asynchronous invocation is retried (and lands in the DLQ): losing a page silently is worse.
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { describeError, NotificationPublishError } from "./errors.js";
import type { OnCallMessage } from "./types.js";

export async function publishOnCall(
  sns: SNSClient,
  topicArn: string,
  message: OnCallMessage,
): Promise<string> {
  try {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.body,
        MessageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [
            name,
            { DataType: "String", StringValue: value },
          ]),
        ),
      }),
    );
    return out.MessageId ?? "";
  } catch (error) {
    throw new NotificationPublishError(
      `could not publish "${message.subject}" to ${topicArn}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}
