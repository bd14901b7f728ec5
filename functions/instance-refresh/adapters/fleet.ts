// Auto Scaling and EC2 calls for one sensor group. Every SDK error is wrapped in a named error with the cause,
// except the one expected race (another refresh already running), which is returned as a value.

import { createHash } from "node:crypto";
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandOutput,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandOutput,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { ACTIVE_REFRESH_STATUSES, buildStartInstanceRefreshInput } from "../decide.js";
import { FleetLookupError, RolloutStartError } from "../errors.js";
import type {
  ActiveRefresh,
  AsgView,
  Fleet,
  LaunchTemplateRef,
  LaunchTemplateVersionView,
  RefreshOverview,
  RefreshStatusView,
  Settings,
} from "../types.js";

/** The SDK v3 exception name for the API error code `InstanceRefreshInProgress`. */
const REFRESH_IN_PROGRESS_ERROR = "InstanceRefreshInProgressFault";
/** EC2 ClientToken: up to 64 ASCII characters. */
const CLIENT_TOKEN_LENGTH = 64;

export class AwsFleet implements Fleet {
  constructor(
    private readonly autoScaling: AutoScalingClient,
    private readonly ec2: EC2Client,
    private readonly settings: Settings,
  ) {}

  async describeGroup(): Promise<AsgView> {
    const name = this.settings.asgName;
    let out: DescribeAutoScalingGroupsCommandOutput;
    try {
      out = await this.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
      );
    } catch (cause) {
      throw new FleetLookupError(`could not describe Auto Scaling group ${name}`, { cause });
    }
    const group = out.AutoScalingGroups?.[0];
    if (!group)
      throw new FleetLookupError(`Auto Scaling group ${name} does not exist (check SENSOR_ASG_NAME)`);
    const lt = group.LaunchTemplate;
    return {
      name,
      availabilityZones: group.AvailabilityZones ?? [],
      desiredCapacity: group.DesiredCapacity ?? 0,
      instances: (group.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId ?? "",
        availabilityZone: i.AvailabilityZone ?? "",
        lifecycleState: i.LifecycleState ?? "",
        healthStatus: i.HealthStatus ?? "",
      })),
      launchTemplate:
        lt?.LaunchTemplateId || lt?.LaunchTemplateName
          ? {
              launchTemplateId: lt.LaunchTemplateId,
              launchTemplateName: lt.LaunchTemplateName,
              versionSpec: lt.Version ?? "$Default",
            }
          : undefined,
      usesMixedInstancesPolicy: group.MixedInstancesPolicy !== undefined,
    };
  }

  async describeLaunchTemplateVersion(ref: LaunchTemplateRef): Promise<LaunchTemplateVersionView> {
    const label = ref.launchTemplateId ?? ref.launchTemplateName ?? "(unnamed)";
    let out: DescribeLaunchTemplateVersionsCommandOutput;
    try {
      out = await this.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(ref.launchTemplateId
            ? { LaunchTemplateId: ref.launchTemplateId }
            : { LaunchTemplateName: ref.launchTemplateName }),
          Versions: [ref.versionSpec],
        }),
      );
    } catch (cause) {
      throw new FleetLookupError(`could not read launch template ${label} version ${ref.versionSpec}`, {
        cause,
      });
    }
    const version = out.LaunchTemplateVersions?.[0];
    if (!version?.VersionNumber || !version.LaunchTemplateId) {
      throw new FleetLookupError(`launch template ${label} has no version ${ref.versionSpec}`);
    }
    const encoded = version.LaunchTemplateData?.UserData ?? "";
    return {
      launchTemplateId: version.LaunchTemplateId,
      versionNumber: version.VersionNumber,
      userData: Buffer.from(encoded, "base64").toString("utf8"),
      imageId: version.LaunchTemplateData?.ImageId,
    };
  }

  async createLaunchTemplateVersion(
    source: LaunchTemplateVersionView,
    userData: string,
    description: string,
  ): Promise<number> {
    // The same source version and user data always give the same token, so a retried invocation gets the
    // version it already created instead of piling up identical versions.
    const clientToken = createHash("sha256")
      .update(`${source.launchTemplateId}\n${source.versionNumber}\n${userData}`)
      .digest("hex")
      .slice(0, CLIENT_TOKEN_LENGTH);
    try {
      const out = await this.ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: source.launchTemplateId,
          // Inherit everything (AMI, instance type, network, IAM profile) from the version in service.
          SourceVersion: String(source.versionNumber),
          VersionDescription: description,
          LaunchTemplateData: { UserData: Buffer.from(userData, "utf8").toString("base64") },
          ClientToken: clientToken,
        }),
      );
      const number = out.LaunchTemplateVersion?.VersionNumber;
      if (!number) throw new Error("CreateLaunchTemplateVersion returned no VersionNumber");
      return number;
    } catch (cause) {
      throw new RolloutStartError(
        `could not create a launch template version from ${source.launchTemplateId} version ${source.versionNumber}`,
        { cause },
      );
    }
  }

  async findActiveRefresh(): Promise<ActiveRefresh | undefined> {
    const refreshes = await this.describeRefreshes({});
    const active = refreshes.find((r) =>
      (ACTIVE_REFRESH_STATUSES as readonly string[]).includes(r.Status ?? ""),
    );
    return active ? { refreshId: active.InstanceRefreshId ?? "", status: active.Status ?? "" } : undefined;
  }

  async refreshOverview(): Promise<RefreshOverview> {
    const refreshes = await this.describeRefreshes({});
    const active = refreshes.find((r) =>
      (ACTIVE_REFRESH_STATUSES as readonly string[]).includes(r.Status ?? ""),
    );
    // AWS lists the newest first; sort by start time anyway rather than rely on it.
    const newest = [...refreshes].sort(
      (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    )[0];
    return {
      active: active ? { refreshId: active.InstanceRefreshId ?? "", status: active.Status ?? "" } : undefined,
      latest: newest
        ? {
            refreshId: newest.InstanceRefreshId ?? "",
            status: newest.Status ?? "",
            statusReason: newest.StatusReason,
            percentageComplete: newest.PercentageComplete,
          }
        : undefined,
    };
  }

  async describeRefresh(refreshId: string): Promise<RefreshStatusView | undefined> {
    const [r] = await this.describeRefreshes({ InstanceRefreshIds: [refreshId] });
    if (!r) return undefined;
    return {
      refreshId,
      status: r.Status ?? "",
      statusReason: r.StatusReason,
      percentageComplete: r.PercentageComplete,
    };
  }

  private async describeRefreshes(filter: { InstanceRefreshIds?: string[] }) {
    try {
      const out = await this.autoScaling.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: this.settings.asgName, ...filter }),
      );
      return out.InstanceRefreshes ?? [];
    } catch (cause) {
      throw new FleetLookupError(`could not describe instance refreshes of ${this.settings.asgName}`, {
        cause,
      });
    }
  }

  async startRefresh(
    launchTemplateId: string,
    version: number,
  ): Promise<{ refreshId: string } | { inProgress: true }> {
    try {
      const out = await this.autoScaling.send(
        new StartInstanceRefreshCommand(
          buildStartInstanceRefreshInput(this.settings, launchTemplateId, version),
        ),
      );
      if (!out.InstanceRefreshId) throw new Error("StartInstanceRefresh returned no InstanceRefreshId");
      return { refreshId: out.InstanceRefreshId };
    } catch (cause) {
      if (cause instanceof Error && cause.name === REFRESH_IN_PROGRESS_ERROR) return { inProgress: true };
      throw new RolloutStartError(
        `could not start an instance refresh of ${this.settings.asgName} to launch template ${launchTemplateId} version ${version}`,
        { cause },
      );
    }
  }
}
