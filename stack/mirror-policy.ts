// config.mirror → the mirror-on-launch function's policy environment (functions/mirror-on-launch/README.md,
// "Environment variables"). Lists are comma-separated; an empty list is left out (the function's default).
// OWNER_TAG_VALUE is the stage's base name, so two deployments in one account never touch each other's
// sessions.
import type { StackConfig } from "./config/schema.js";
import type { SensorFleet } from "./context.js";
import type { StackNames } from "./names.js";

export function mirrorPolicyEnv(
  config: StackConfig,
  names: StackNames,
  fleet: Pick<SensorFleet, "mirrorTarget" | "mirrorFilter">,
): Record<string, $util.Input<string>> {
  const m = config.mirror;
  const env: Record<string, $util.Input<string>> = {
    MIRROR_TARGET_ID: fleet.mirrorTarget.id,
    MIRROR_FILTER_ID: fleet.mirrorFilter.id,
    SELECT_TAGS_MODE: m.selectTagsMode,
    ENI_SCOPE: m.eniScope,
    SENSOR_ASG_NAMES: names.autoScalingGroup,
    OWNER_TAG_VALUE: names.base,
    REMOVE_ON_STOP: String(m.removeOnStop),
  };
  const lists: [string, string[]][] = [
    ["INCLUDE_VPC_IDS", m.includeVpcIds],
    ["EXCLUDE_VPC_IDS", m.excludeVpcIds],
    ["INCLUDE_SUBNET_IDS", m.includeSubnetIds],
    ["EXCLUDE_SUBNET_IDS", m.excludeSubnetIds],
    ["SELECT_TAGS", m.selectTags],
  ];
  for (const [name, values] of lists) if (values.length > 0) env[name] = values.join(",");
  if (m.optOutTag !== undefined) env.OPT_OUT_TAG = m.optOutTag;
  if (m.packetLength !== undefined) env.PACKET_LENGTH = String(m.packetLength);
  return env;
}
