// The on-call SNS topic: created (encrypted with a key of its own, e-mail subscribed) or an existing one from
// the config. CloudWatch alarms and the two paging functions are the only publishers the topic policy admits.
import { type Scope, topicKeyPolicy, topicPolicy } from "../policies.js";

export interface OncallTopic {
  arn: $util.Output<string>;
  /** The customer managed key the created topic is encrypted with; undefined for an existing topic. */
  keyArn?: $util.Output<string>;
  /** Whether the stack created the topic (and so owns its policy). */
  created: boolean;
}

export interface TopicInput {
  base: string;
  scope: $util.Output<Scope>;
  email?: string;
  existingTopicArn?: string;
}

export function oncallTopic(i: TopicInput): OncallTopic {
  if (i.existingTopicArn !== undefined) {
    // Someone else's topic: its policy and encryption are theirs (stack/operations/README.md says what it needs).
    // An address given as well is subscribed to it.
    if (i.email !== undefined) emailSubscription(i.existingTopicArn, i.email);
    return { arn: $util.output(i.existingTopicArn), created: false };
  }
  const key = new aws.kms.Key("OncallTopicKey", {
    description: `${i.base}: encrypts the on-call SNS topic (CloudWatch alarms may use it)`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: i.scope.apply((s) => JSON.stringify(topicKeyPolicy(s))),
  });
  new aws.kms.Alias("OncallTopicKeyAlias", { name: `alias/${i.base}-oncall`, targetKeyId: key.keyId });
  const topic = new aws.sns.Topic("OncallTopic", {
    name: `${i.base}-oncall`,
    displayName: `Spanless ${i.base}`,
    kmsMasterKeyId: key.arn,
  });
  if (i.email !== undefined) emailSubscription(topic.arn, i.email);
  return { arn: topic.arn, keyArn: key.arn, created: true };
}

/** The address receives a confirmation mail; nothing is delivered before it is confirmed. */
function emailSubscription(topicArn: $util.Input<string>, email: string): void {
  new aws.sns.TopicSubscription("OncallEmail", { topic: topicArn, protocol: "email", endpoint: email });
}

/** The topic policy, once the publishing roles exist (created topics only). */
export function oncallTopicPolicy(
  topic: OncallTopic,
  scope: $util.Output<Scope>,
  publisherRoleArns: $util.Output<string>[],
): void {
  if (!topic.created) return;
  new aws.sns.TopicPolicy("OncallTopicPolicy", {
    arn: topic.arn,
    policy: $resolve({ s: scope, topicArn: topic.arn, roles: $util.all(publisherRoleArns) }).apply((v) =>
      JSON.stringify(topicPolicy({ scope: v.s, topicArn: v.topicArn, publisherRoleArns: v.roles })),
    ),
  });
}
