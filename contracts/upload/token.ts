// The push token as the sensor holds it. The rules are contracts/config's (the same string sits in
// Parameter Store and the sensor's file), so a token accepted there is accepted here.
import { pushTokenSchema, type RuleIssueParams } from "../config/rules.js";
import { PushTokenError } from "./errors.js";

export interface PushToken {
  label: string;
  secret: string;
}

/** Splits `label:secret` at the first colon. Throws PushTokenError (never quoting the token) otherwise. */
export function parsePushToken(token: string): PushToken {
  const result = pushTokenSchema.safeParse(token);
  if (!result.success) {
    const codes = result.error.issues.map(
      (i) => (i as { params?: RuleIssueParams }).params?.code ?? "token-format",
    );
    const message = `push token ${result.error.issues.map((i) => i.message).join("; ")}`;
    throw new PushTokenError(codes, message);
  }
  const colon = token.indexOf(":");
  return { label: token.slice(0, colon), secret: token.slice(colon + 1) };
}
