import { loadStackConfig } from "./config/load.js";
import { stackNames } from "./names.js";

export async function deploy(stage: string) {
  const config = loadStackConfig(stage);
  const names = stackNames(stage);
  const key = new aws.kms.Key("Key", { description: `${names.base} test`, enableKeyRotation: true });
  return { key: key.arn, azs: config.azs.join(",") };
}
