// `spanless bootstrap`: what the launch template's user data runs (contracts/host/user-data.ts) at
// first boot. Parses the boot line's flags and runs the boot steps (bootstrap/run.ts) with the host's
// real effects: systemctl, the CloudWatch agent, the metadata service, SSM and Auto Scaling through the
// AWS SDK's default credentials (IMDSv2 on EC2). Its output is the boot log, markers included.

import { parseArgs } from "node:util";
import { bootMarkerNow } from "../../../contracts/boot/markers.js";
import { execRunner } from "../bootstrap/commands.js";
import { IMDS_ENDPOINT_ENV } from "../bootstrap/imds.js";
import { EXIT_USAGE, runBootstrap, sensorUserOwner } from "../bootstrap/run.js";

export const BOOTSTRAP_USAGE = `usage: spanless bootstrap --log-group <group> --auto-scaling-group <group> --lifecycle-hook <hook>
                          [--pcap-bucket <bucket>] [--vni-map s3://<bucket>/<key>]
                          [--collector-ca-file <pem>]

Configures a sensor instance at first boot (the launch template's user data runs it): reads the
pinned configuration parameters named in the instance's user data from SSM Parameter Store,
validates them, checks the proxy, the collector and the push token, writes ${"/etc/spanless/sensor.json"}
(mode 0600), starts spanless-sensor.service, waits for /healthcheck 200 and the collector's
acceptance of the push token, and completes the launch lifecycle action: CONTINUE, or ABANDON after
a failed step. Every step writes a SPANLESS-BOOT marker line to stdout.

options:
  --log-group <group>          CloudWatch Logs group for the boot log, sensor log and metrics
  --auto-scaling-group <group> the sensor Auto Scaling group
  --lifecycle-hook <hook>      its launch lifecycle hook
  --pcap-bucket <bucket>       S3 bucket for the PCAP ring's files (prefix pcaps/); default: kept on the instance
  --vni-map s3://<b>/<key>     the VNI map the mirror-on-launch reconciler publishes: the sensor fetches it
                               (every 60 s) for instance enrichment; default: no enrichment
  --collector-ca-file <pem>    a CA for a collector whose certificate is not from a public CA

exit status: 0 the launch continued (or had no lifecycle action); 1 a step failed and the launch was
abandoned; 3 the outcome could not be sent to Auto Scaling; 64 usage.
`;

const BOOT_OPTIONS = {
  "log-group": { type: "string" },
  "auto-scaling-group": { type: "string" },
  "lifecycle-hook": { type: "string" },
  "pcap-bucket": { type: "string" },
  "vni-map": { type: "string" },
  "collector-ca-file": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * The boot line's flags split into the ones this image knows and the ones it does not. The stack renders
 * the boot line and the AMI is built separately, so a stack newer than the image may add a setting: the
 * boot goes on without it (and says so in the boot log) rather than abandoning every launch.
 */
export function splitBootArgs(argv: readonly string[]): { known: string[]; unknown: string[] } {
  const known: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = /^--([a-z][a-z0-9-]*)(=.*)?$/.exec(arg);
    if (name === null || name[1] in BOOT_OPTIONS) {
      known.push(arg);
      if (
        name !== null &&
        name[2] === undefined &&
        BOOT_OPTIONS[name[1] as keyof typeof BOOT_OPTIONS].type === "string"
      ) {
        if (i + 1 < argv.length) known.push(argv[++i]);
      }
      continue;
    }
    unknown.push(`--${name[1]}`);
    // Its value, when it has one as the next word.
    if (name[2] === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("-")) i++;
  }
  return { known, unknown };
}

/** A usage problem is also a boot marker: the health function then names it instead of a heartbeat timeout. */
function usageFailure(problem: string): number {
  process.stdout.write(
    `${bootMarkerNow("read-user-data", "fail", `UserDataFormatError: ${problem}; the launch template's user data must be the stack's (contracts/host renderSensorUserData)`)}\n`,
  );
  process.stderr.write(`spanless bootstrap: ${problem}\n\n${BOOTSTRAP_USAGE}`);
  return EXIT_USAGE;
}

export async function runBootstrapCommand(argv: string[]): Promise<number> {
  const { known, unknown } = splitBootArgs(argv);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: known, options: BOOT_OPTIONS }));
  } catch (error) {
    return usageFailure((error as Error).message);
  }
  if (unknown.length > 0) {
    process.stdout.write(
      `${bootMarkerNow(
        "boot-settings",
        "skip",
        `warning: this image's spanless bootstrap does not know ${unknown.join(", ")} (a stack newer than the AMI); ` +
          "booting without it. Rebuild the AMI (packer/README.md) to use the setting",
      )}\n`,
    );
  }
  if (values.help === true) {
    process.stdout.write(BOOTSTRAP_USAGE);
    return 0;
  }
  const required = ["log-group", "auto-scaling-group", "lifecycle-hook"] as const;
  const missing = required.filter((flag) => typeof values[flag] !== "string" || values[flag] === "");
  if (missing.length > 0) {
    return usageFailure(`the boot line has no ${missing.map((f) => `--${f}`).join(", ")}`);
  }
  const run = execRunner();
  const pcapBucket = values["pcap-bucket"] as string | undefined;
  const vniMap = values["vni-map"] as string | undefined;
  const caFile = values["collector-ca-file"] as string | undefined;
  const endpoint = process.env[IMDS_ENDPOINT_ENV];
  const outcome = await runBootstrap(
    {
      logGroup: values["log-group"] as string,
      autoScalingGroup: values["auto-scaling-group"] as string,
      lifecycleHook: values["lifecycle-hook"] as string,
      ...(pcapBucket === undefined ? {} : { pcapBucket }),
      ...(vniMap === undefined ? {} : { vniMap }),
    },
    {
      write: (text) => process.stdout.write(text),
      // The SDK is loaded only here, so nothing else of the CLI carries it.
      ssm: async (region) => new (await import("@aws-sdk/client-ssm")).SSMClient({ region }),
      autoScaling: async (region) =>
        new (await import("@aws-sdk/client-auto-scaling")).AutoScalingClient({ region }),
      run,
      sensorOwner: sensorUserOwner(run, process.getuid?.() === 0),
      ...(endpoint === undefined || endpoint === "" ? {} : { imds: { endpoint } }),
      ...(caFile === undefined ? {} : { collectorCaFile: caFile }),
    },
  );
  return outcome.exitCode;
}
