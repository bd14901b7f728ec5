// The sensor's version, recorded in every run's completion record. A constant rather than a read
// of package.json, which the AMI bundle does not ship; test/cli/version.test.ts keeps the two equal.
export const SPANLESS_VERSION = "0.1.0";
