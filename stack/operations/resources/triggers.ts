// What invokes the functions: EventBridge rules on the default bus (each target with the shared retry policy
// and a dead-letter queue of its own that only that rule may write to) and EventBridge Scheduler schedules
// (each with a role that may invoke only its function and dead-letter only to its queue).
import {
  DELIVERY,
  type EventPattern,
  RULES,
  type RuleKey,
  type ScheduleKey,
  scheduleDelivery,
  scheduleInput,
} from "../events.js";
import { rateExpression } from "../functions.js";
import { assumeRolePolicy, schedulePolicy } from "../policies.js";
import type { LambdaRecord } from "./lambdas.js";
import { deadLetterQueue, type QueueRecord, ruleQueuePolicy, tlsOnlyQueuePolicy } from "./queues.js";

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface RuleRecord {
  key: RuleKey;
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
  dlq: QueueRecord;
}

export function eventRule(
  base: string,
  key: RuleKey,
  pattern: $util.Input<EventPattern>,
  fn: LambdaRecord,
): RuleRecord {
  const spec = RULES[key];
  const logical = `${pascal(key)}Rule`;
  const name = `${base}-${spec.suffix}`;
  const rule = new aws.cloudwatch.EventRule(logical, {
    name,
    description: spec.description,
    eventPattern: $util.output(pattern).apply((p) => JSON.stringify(p)),
  });
  const dlq = deadLetterQueue(
    `${logical}DeadLetters`,
    `${name}-dlq`,
    spec.suffix,
    `events of rule ${name} that EventBridge could not deliver to ${fn.name}`,
  );
  ruleQueuePolicy(`${logical}DeadLettersPolicy`, dlq, rule.arn);
  new aws.lambda.Permission(`${logical}Invoke`, {
    action: "lambda:InvokeFunction",
    function: fn.arn,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  const target = new aws.cloudwatch.EventTarget(`${logical}Target`, {
    rule: rule.name,
    arn: fn.arn,
    retryPolicy: { ...DELIVERY },
    deadLetterConfig: { arn: dlq.queue.arn },
  });
  return { key, rule, target, dlq };
}

export interface ScheduleRecord {
  key: ScheduleKey;
  schedule: aws.scheduler.Schedule;
  dlq: QueueRecord;
}

export function schedule(
  base: string,
  key: ScheduleKey,
  everyMinutes: number,
  fn: LambdaRecord,
  account: $util.Output<string>,
): ScheduleRecord {
  const logical = `${pascal(key)}Schedule`;
  const expression = rateExpression(everyMinutes);
  const name = `${base}-${fn.name.slice(base.length + 1)}`;
  const dlq = deadLetterQueue(
    `${logical}DeadLetters`,
    `${name}-schedule-dlq`,
    `${fn.name.slice(base.length + 1)}-schedule`,
    `runs of schedule ${name} that EventBridge Scheduler could not deliver to ${fn.name}`,
  );
  tlsOnlyQueuePolicy(`${logical}DeadLettersPolicy`, dlq);
  const role = new aws.iam.Role(`${logical}Role`, {
    name: `${name}-schedule`.slice(0, 64),
    description: `EventBridge Scheduler: invokes ${fn.name} only`,
    assumeRolePolicy: account.apply((a) => JSON.stringify(assumeRolePolicy("scheduler.amazonaws.com", a))),
    inlinePolicies: [
      {
        name: "invoke-one-function",
        policy: $resolve([fn.arn, dlq.queue.arn]).apply(([f, q]) => JSON.stringify(schedulePolicy(f, q))),
      },
    ],
  });
  const s = new aws.scheduler.Schedule(logical, {
    name,
    description: `Spanless: ${expression} → ${fn.name}`,
    scheduleExpression: expression,
    flexibleTimeWindow: { mode: "OFF" },
    target: {
      arn: fn.arn,
      roleArn: role.arn,
      input: scheduleInput(key),
      retryPolicy: scheduleDelivery(everyMinutes),
      deadLetterConfig: { arn: dlq.queue.arn },
    },
  });
  return { key, schedule: s, dlq };
}
