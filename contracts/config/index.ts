// Sensor configuration: parameter naming, validation rules and pinned references. No AWS SDK or Lambda code,
// so the sensor and its boot script can import it as-is.
export * from "./names.js";
export * from "./pins.js";
export * from "./rules.js";
export * from "./sensor-file.js";
export * from "./validate.js";
