// Deterministic physical names. The ASG, hook and log group names reach the sensors through user data
// (contracts/host), and the functions find them by name, so they never carry a random suffix.
export interface StackNames {
  /** `spanless-<stage>`: the prefix of every named resource. */
  base: string;
  autoScalingGroup: string;
  lifecycleHook: string;
  logGroup: string;
  launchTemplate: string;
  sensorRole: string;
  sessionManagerDocument: string;
  glueDatabase: string;
  athenaWorkgroup: string;
  loadBalancer: string;
  targetGroup: string;
}

export function stackNames(stage: string): StackNames {
  const base = `spanless-${stage}`;
  return {
    base,
    autoScalingGroup: `${base}-sensors`,
    lifecycleHook: `${base}-launch`,
    logGroup: `/spanless/${stage}/sensors`,
    launchTemplate: `${base}-sensor`,
    sensorRole: `${base}-sensor`,
    sessionManagerDocument: `${base}-session-preferences`,
    // Glue and Athena names: lowercase letters, digits and underscores only.
    glueDatabase: `spanless_${stage.replaceAll("-", "_")}`,
    athenaWorkgroup: `${base}`,
    // ELB names: at most 32 characters (stage names are at most 32, so shorten when needed).
    loadBalancer: `${base}-sensors`.slice(0, 32).replace(/-+$/, ""),
    targetGroup: `${base}-vxlan`.slice(0, 32).replace(/-+$/, ""),
  };
}

/** S3 prefixes in the records bucket. */
export const PCAP_PREFIX = "pcaps/";
export const RECORDS_PREFIX = "records/";
export const ATHENA_RESULTS_PREFIX = "athena-results/";
/**
 * Where the mirror-on-launch reconciler publishes the VNI map (mirror-on-launch's default key) and the
 * sensors fetch it from (their boot line's --vni-map).
 */
export const VNI_MAP_KEY = "spanless/vni-map.json";
