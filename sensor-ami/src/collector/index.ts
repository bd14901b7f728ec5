// The reference collector (`spanless collector`, `spanless token`): receives batches from sensors over
// HTTPS, verifies them with contracts/upload and stores each once. Never imports the engine.
export * from "./certificate.js";
export * from "./conn-dup.js";
export * from "./duplicates.js";
export * from "./errors.js";
export * from "./ledger.js";
export * from "./server.js";
export * from "./sinks.js";
export * from "./start.js";
export * from "./tokens.js";
