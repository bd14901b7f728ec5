// deploy(stage): the whole stack, in dependency order. Each module declares its resources and returns what
// the next needs; stack/operations builds the functions, events, topic, alarms and dashboard on the result.
import { account } from "./account.js";
import { collector } from "./collector.js";
import { configFileForStage, loadStackConfig, StackConfigError } from "./config/load.js";
import { regionProblems } from "./config/schema.js";
import type { StackContext, StackOutputs } from "./context.js";
import { mirrorPolicyEnv } from "./mirror-policy.js";
import { stackNames } from "./names.js";
import { network } from "./network.js";
import { operations } from "./operations/index.js";
import { queryPath } from "./query/index.js";
import { sensors } from "./sensors/index.js";
import { parameterArns } from "./sensors/role.js";
import { sessionManagerDocument } from "./session-manager.js";
import { storage } from "./storage.js";

export async function deploy(stage: string): Promise<StackOutputs> {
  const config = loadStackConfig(stage);
  const names = stackNames(stage);
  const where = account();
  const store = storage(config, names, where);
  const net = network(config, names, where);
  const parameters = parameterArns(config, where);
  const fleet = sensors(config, names, where, net, store, parameters);
  const sessionDocument = sessionManagerDocument(config, names, store);
  const query = queryPath(names, store);
  const reference = collector(config, names, where, net, store);

  const ctx: StackContext = {
    config,
    names,
    region: where.region,
    accountId: where.accountId,
    partition: where.partition,
    parameterArns: parameters,
    network: net,
    storage: store,
    sensors: fleet,
    mirrorPolicyEnv: mirrorPolicyEnv(config, names, fleet),
  };
  const extra = operations(ctx);

  // The region is known only once the provider answers: a config for another region's AZs fails the run here
  // (the outputs are awaited), with the same kind of message as every other config problem.
  const checkedRegion = where.region.apply((region) => {
    const problems = regionProblems(config, region);
    if (problems.length > 0) throw new StackConfigError(configFileForStage(stage), problems);
    return region;
  });

  return {
    Region: checkedRegion,
    MirrorTargetId: fleet.mirrorTarget.id,
    MirrorFilterId: fleet.mirrorFilter.id,
    LoadBalancerDns: fleet.loadBalancer.dnsName,
    NatPublicIps: net.natPublicIps,
    SessionManagerDocument: sessionDocument.name,
    Bucket: store.bucket.bucket,
    SensorLogGroup: store.logGroup.name,
    AthenaWorkgroup: query.workgroup.name,
    GlueDatabase: query.database.name,
    AutoScalingGroup: fleet.autoScalingGroup.name,
    KmsKeyArn: store.kmsKey.arn,
    ...(reference === undefined
      ? {}
      : {
          CollectorUrl: reference.url,
          CollectorLoadBalancerDns: reference.loadBalancerDns,
          CollectorAutoScalingGroup: reference.groupName,
        }),
    ...extra,
  };
}
