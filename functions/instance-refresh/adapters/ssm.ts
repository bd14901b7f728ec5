// Reads all sensor configuration parameters in one GetParameters call, decrypted, with their versions and
// types (`fetch`), or only their versions without decryption (`versions`, the drift check's cheap read). Powertools Parameters is not used here on purpose: it returns values only (no Version, no Type), and
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
    const out = await this.get(true);
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

  async versions(): Promise<Partial<Record<SensorConfigKey, number>>> {
    // Without decryption: SecureStrings come back encrypted (never decrypted, never used), no KMS call is made.
    const out = await this.get(false);
    const versions: Partial<Record<SensorConfigKey, number>> = {};
    for (const p of out.Parameters ?? []) {
      const key = keyForParameterName(this.names, (p.Name ?? "").replace(/:[^/]*$/, ""));
      if (key && p.Version !== undefined) versions[key] = p.Version;
    }
    return versions;
  }

  private async get(withDecryption: boolean): Promise<GetParametersCommandOutput> {
    const requested = SENSOR_CONFIG_KEYS.map((k) =>
      this.label ? `${this.names[k]}:${this.label}` : this.names[k],
    );
    try {
      return await this.ssm.send(
        new GetParametersCommand({ Names: requested, WithDecryption: withDecryption }),
      );
    } catch (cause) {
      throw new ParameterFetchError(
        `could not read the sensor parameters under ${this.names["collector-url"].replace(/\/[^/]+$/, "")} ` +
          (withDecryption
            ? "(check the function's ssm:GetParameters and kms:Decrypt permissions)"
            : "(check the function's ssm:GetParameters permission)"),
        { cause },
      );
    }
  }
}
