// The sensor host contract: see README.md.
export * from "./cloudwatch-agent.js";
export * from "./memory.js";
export * from "./paths.js";
export * from "./streams.js";
export * from "./user-data.js";
