// Reads all sensor configuration parameters in one GetParameters call, decrypted, with their versions and
// types. Powertools Parameters is not used here on purpose: it returns values only (no Version, no Type), and
// pinning needs the version while validation needs the type; its cache would also have to be disabled.
import { GetParametersCommand, type GetParametersCommandOutput, type SSMClient } from "@aws-sdk/client-ssm";
import {
  keyForParameterName,
  SENSOR_CONFIG_KEYS,
  type SensorConfigInput,
  type SensorConfigKey,
  type SensorParameterNames,
} from "../../../contracts/config/index.js";
import { ParameterFetchError } from "../errors.js";
import type { FetchedParameters, ParameterReader } from "../types.js";

const PARAMETER_TYPES = new Set(["String", "StringList", "SecureString"]);

export class SsmParameterReader implements ParameterReader {
  constructor(
    private readonly ssm: SSMClient,
    private readonly names: SensorParameterNames,
    private readonly label: string | undefined,
  ) {}

  async fetch(): Promise<FetchedParameters> {
    const requested = SENSOR_CONFIG_KEYS.map((k) =>
      this.label ? `${this.names[k]}:${this.label}` : this.names[k],
    );
    let out: GetParametersCommandOutput;
    try {
      out = await this.ssm.send(new GetParametersCommand({ Names: requested, WithDecryption: true }));
    } catch (cause) {
      throw new ParameterFetchError(
        `could not read the sensor parameters under ${this.names["collector-url"].replace(/\/[^/]+$/, "")} ` +
          "(check the function's ssm:GetParameters and kms:Decrypt permissions)",
        { cause },
      );
    }
    const input: SensorConfigInput = {};
    const versions: Partial<Record<SensorConfigKey, number>> = {};
    for (const p of out.Parameters ?? []) {
      // With a selector AWS returns the plain name plus `Selector`; strip any `:label`/`:version` to be safe.
      const name = (p.Name ?? "").replace(/:[^/]*$/, "");
      const key = keyForParameterName(this.names, name);
      if (!key || typeof p.Value !== "string") continue;
      const type = p.Type && PARAMETER_TYPES.has(p.Type) ? p.Type : undefined;
      const version = p.Version;
      input[key] = { value: p.Value, type, version };
      if (version !== undefined) versions[key] = version;
    }
    return { input, versions };
  }
}
