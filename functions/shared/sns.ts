// Publishing a notice to an SNS topic: subject, plain-text body and string message attributes (so
// subscriptions can filter). Callers wrap a failure in their own named error.
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";

export interface TopicMessage {
  subject: string;
  body: string;
  attributes: Readonly<Record<string, string>>;
}

/** Publishes `message`; returns the SNS MessageId ("" when SNS gives none). SDK errors propagate. */
export async function publishToTopic(
  sns: SNSClient,
  topicArn: string,
  message: TopicMessage,
): Promise<string> {
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
}
