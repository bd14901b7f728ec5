/// <reference path="./.sst/platform/config.d.ts" />
// The Spanless deployment: `sst deploy --stage <stage>` reads spanless.config.<stage>.json (stack/config) and
// declares the whole sensor deployment (stack/index.ts). `npm run infra:inventory -- --config <file>` runs this
// same file under Pulumi mocks (tools/infra-inventory.mjs); docs/deploy.md is the deployment guide.
export default $config({
  app(input) {
    return {
      name: "spanless",
      home: "aws",
      // A production stage keeps its bucket, key and log group when removed (records and PCAPs are evidence).
      removal: input?.stage === "prod" ? "retain" : "remove",
      protect: input?.stage === "prod",
    };
  },
  async run() {
    // Stack modules are imported inside run(): SST evaluates the top of this file before its globals exist.
    const { deploy } = await import("./stack/index.js");
    return deploy($app.stage);
  },
});
