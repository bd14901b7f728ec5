// The SSM parameter reader against moto_server: versions, types and the label selector.
import { LabelParameterVersionCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { sensorParameterNames } from "../../../../contracts/config/index.js";
import { SsmParameterReader } from "../../../../functions/instance-refresh/adapters/ssm.js";
import { useMoto } from "../../../support/moto.js";

const names = sensorParameterNames("/spanless/prod");

describe("SsmParameterReader (moto_server)", () => {
  const moto = useMoto();

  it("returns decrypted values with type and version, and leaves missing parameters out", async () => {
    // Prepare
    const ssm = new SSMClient(moto.clientConfig);
    await ssm.send(
      new PutParameterCommand({ Name: names["collector-url"], Value: "https://a.example", Type: "String" }),
    );
    await ssm.send(
      new PutParameterCommand({ Name: names["push-token"], Value: "l:one", Type: "SecureString" }),
    );
    await ssm.send(
      new PutParameterCommand({
        Name: names["push-token"],
        Value: "l:two",
        Type: "SecureString",
        Overwrite: true,
      }),
    );
    // Act
    const fetched = await new SsmParameterReader(ssm, names, undefined).fetch();
    // Assess
    expect(fetched.input).toEqual({
      "collector-url": { value: "https://a.example", type: "String", version: 1 },
      "push-token": { value: "l:two", type: "SecureString", version: 2 },
    });
    expect(fetched.versions).toEqual({ "collector-url": 1, "push-token": 2 });
  });

  it("reads the labelled version when a label is configured", async () => {
    // Prepare
    const ssm = new SSMClient(moto.clientConfig);
    for (const value of ["l:one", "l:two", "l:three"]) {
      await ssm.send(
        new PutParameterCommand({
          Name: names["push-token"],
          Value: value,
          Type: "SecureString",
          Overwrite: true,
        }),
      );
    }
    await ssm.send(
      new LabelParameterVersionCommand({
        Name: names["push-token"],
        ParameterVersion: 2,
        Labels: ["live"],
      }),
    );
    // Act
    const fetched = await new SsmParameterReader(ssm, names, "live").fetch();
    // Assess
    expect(fetched.input["push-token"]).toEqual({ value: "l:two", type: "SecureString", version: 2 });
  });

  it("reads versions only, without decryption, for the drift check", async () => {
    // Prepare
    const ssm = new SSMClient(moto.clientConfig);
    const requests: unknown[] = [];
    ssm.middlewareStack.add(
      (next) => async (args) => {
        requests.push(args.input);
        return next(args);
      },
      { step: "initialize" },
    );
    for (const value of ["l:one", "l:two"]) {
      await ssm.send(
        new PutParameterCommand({
          Name: names["push-token"],
          Value: value,
          Type: "SecureString",
          Overwrite: true,
        }),
      );
    }
    await ssm.send(
      new PutParameterCommand({ Name: names["collector-url"], Value: "https://a.example", Type: "String" }),
    );
    requests.length = 0;
    // Act
    const versions = await new SsmParameterReader(ssm, names, undefined).versions();
    // Assess
    expect(versions).toEqual({ "collector-url": 1, "push-token": 2 });
    expect(requests).toEqual([expect.objectContaining({ WithDecryption: false })]);
  });
});
