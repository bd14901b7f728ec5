// Where the stack is deployed: region, account and partition, read once from the provider (under the
// inventory's mocks: us-east-1 / 123456789012 / aws).
export interface Account {
  region: $util.Output<string>;
  accountId: $util.Output<string>;
  partition: $util.Output<string>;
}

export function account(): Account {
  return {
    region: aws.getRegionOutput().region,
    accountId: aws.getCallerIdentityOutput().accountId,
    partition: aws.getPartitionOutput().partition,
  };
}
