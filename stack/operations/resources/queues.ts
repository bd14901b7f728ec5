// Dead-letter and on-failure queues. Every queue is encrypted (SQS managed SSE: EventBridge, EventBridge
// Scheduler and Lambda destinations can all write to it without a key policy of ours), keeps a message for the
// 14 days SQS allows, and refuses plain HTTP. A rule's dead-letter queue also lets EventBridge send to it on
// behalf of that one rule (aws:SourceArn); schedules and Lambda write with their own roles instead.
import { DLQ_RETENTION_SECONDS } from "../events.js";
import { denyInsecureTransport, ruleDlqPolicy } from "../policies.js";

export interface QueueRecord {
  /** Alarm key suffix (`dlq-<key>`). */
  key: string;
  /** Physical queue name (the `QueueName` dimension). */
  name: string;
  /** What lands in it, for the alarm description. */
  holds: string;
  queue: aws.sqs.Queue;
}

/** Logical name prefix → physical `<base>-<suffix>`. */
export function deadLetterQueue(logical: string, name: string, key: string, holds: string): QueueRecord {
  const queue = new aws.sqs.Queue(logical, {
    name,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    tags: { "spanless:purpose": "dead-letter" },
  });
  return { key, name, holds, queue };
}

/** Only TLS, for a queue that only roles (Scheduler, Lambda destinations) write to. */
export function tlsOnlyQueuePolicy(logical: string, q: QueueRecord): aws.sqs.QueuePolicy {
  return new aws.sqs.QueuePolicy(logical, {
    queueUrl: q.queue.url,
    policy: q.queue.arn.apply((arn) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecureTransport("sqs:*", arn)] }),
    ),
  });
}

/** EventBridge may dead-letter into the queue only for `ruleArn`. */
export function ruleQueuePolicy(
  logical: string,
  q: QueueRecord,
  ruleArn: $util.Output<string>,
): aws.sqs.QueuePolicy {
  return new aws.sqs.QueuePolicy(logical, {
    queueUrl: q.queue.url,
    policy: $resolve([q.queue.arn, ruleArn]).apply(([queueArn, rule]) =>
      JSON.stringify(ruleDlqPolicy(queueArn, rule)),
    ),
  });
}
