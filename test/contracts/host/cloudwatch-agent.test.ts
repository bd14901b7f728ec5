import { describe, expect, it } from "vitest";
import { cloudWatchAgentConfig, USER_DATA_LOG, userDataLogStream } from "../../../contracts/host/index.js";

describe("cloudWatchAgentConfig", () => {
  it("ships the boot log to the stream the health function reads", () => {
    // Act
    const files = cloudWatchAgentConfig("/spanless/prod/sensors").logs.logs_collected.files.collect_list;
    // Assess: the agent expands {instance_id}; the health function asks for <instance-id>-userdata
    const boot = files.find((f) => f.file_path === USER_DATA_LOG);
    expect(boot?.log_group_name).toBe("/spanless/prod/sensors");
    expect(boot?.log_stream_name.replace("{instance_id}", "i-0abc")).toBe(userDataLogStream("i-0abc"));
    expect(new Set(files.map((f) => f.log_stream_name)).size).toBe(3);
  });
});
