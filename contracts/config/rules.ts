// One zod schema per configuration value. Every rule adds an issue whose message says what is wrong and
// how to fix it WITHOUT quoting the value: proxy URLs carry credentials and tokens are secrets, and these
// messages go to SNS, e-mail and logs. Only facts derived from the value (a length, a known URL scheme)
// are mentioned, never its text.
import { z } from "zod";

export const PUSH_TOKEN_LABEL_MAX_LENGTH = 64;
export const PUSH_TOKEN_SECRET_MIN_LENGTH = 16;
export const PUSH_TOKEN_SECRET_MAX_LENGTH = 512;
export const OS_SENSOR_HMAC_MIN_LENGTH = 20;
export const OS_SENSOR_HMAC_MAX_LENGTH = 63;
export const URL_MAX_LENGTH = 2048;
/** The keyword that switches an optional feature (proxy, osSensor) off. Accepted in any letter case. */
export const NONE_KEYWORD = "none";

/** Stable machine-readable problem codes (documented in README.md; alarms and tests match on them). */
export type ProblemCode =
  | "missing"
  | "empty"
  | "surrounding-whitespace"
  | "control-characters"
  | "too-long"
  | "not-a-url"
  | "not-https"
  | "credentials-in-url"
  | "fragment-in-url"
  | "loopback-host"
  | "bad-port"
  | "proxy-scheme"
  | "proxy-path"
  | "token-format"
  | "token-label"
  | "token-secret-length"
  | "token-secret-characters"
  | "hmac-length"
  | "hmac-characters"
  | "not-secure-string"
  | "string-list"
  | "not-text";

export interface RuleIssueParams {
  code: ProblemCode;
}

type Ctx = z.core.$RefinementCtx<string>;

function fail(ctx: Ctx, code: ProblemCode, message: string): void {
  ctx.addIssue({ code: "custom", message, params: { code } satisfies RuleIssueParams });
}

// URL schemes we may name in a message: naming them helps ("uses http:") and cannot leak a secret,
// whereas an arbitrary "scheme" may be the label of a token pasted into the wrong parameter.
const NAMEABLE_SCHEMES = new Set([
  "http:",
  "https:",
  "ftp:",
  "ws:",
  "wss:",
  "socks:",
  "socks4:",
  "socks5:",
  "file:",
]);
// Loopback, "any" and link-local (169.254.0.0/16 holds the instance metadata service): never a collector.
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0|169\.254(?:\.\d{1,3}){2})$/i;
// Control characters other than nothing: a value copied from a terminal may carry a tab or a NUL.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const PRINTABLE_NON_SPACE_ASCII = /^[\x21-\x7e]+$/;
const TOKEN_LABEL = /^[A-Za-z0-9._-]+$/;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;

function schemeDescription(protocol: string): string {
  return NAMEABLE_SCHEMES.has(protocol.toLowerCase()) ? `"${protocol}"` : "another scheme";
}

/** Checks every value must pass, whatever the key. Returns false when later checks would only add noise. */
function checkCommon(value: string, ctx: Ctx, maxLength: number): boolean {
  if (value.length === 0) {
    fail(
      ctx,
      "empty",
      "is empty; set a value (SSM cannot store an empty string, so it was probably cleared by a tool)",
    );
    return false;
  }
  if (value.trim().length === 0) {
    fail(ctx, "empty", "contains only whitespace; set a real value");
    return false;
  }
  let ok = true;
  if (value !== value.trim()) {
    fail(
      ctx,
      "surrounding-whitespace",
      "has leading or trailing whitespace (often a newline copied with the value); remove it",
    );
    ok = false;
  }
  if (CONTROL_CHARACTERS.test(value.trim())) {
    fail(
      ctx,
      "control-characters",
      "contains control characters (tab, newline or similar); re-enter the value",
    );
    ok = false;
  }
  if (value.length > maxLength) {
    fail(ctx, "too-long", `is ${value.length} characters long; the limit is ${maxLength}`);
    ok = false;
  }
  return ok;
}

function tryParseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function checkPort(url: URL, ctx: Ctx): void {
  // The WHATWG parser accepts port 0, which no server listens on.
  if (url.port === "0") fail(ctx, "bad-port", "has port 0; use the collector's real port (usually 443)");
}

export const collectorUrlSchema = z.string().superRefine((value, ctx) => {
  if (!checkCommon(value, ctx, URL_MAX_LENGTH)) return;
  const url = tryParseUrl(value);
  if (!url) {
    fail(ctx, "not-a-url", "is not an absolute URL; expected a value like https://collector.example.com/");
    return;
  }
  if (url.protocol !== "https:") {
    fail(
      ctx,
      "not-https",
      `must use https:// but uses ${schemeDescription(url.protocol)}; sensors only send metadata over TLS, ` +
        "so change the scheme to https://",
    );
  }
  if (url.hostname === "") fail(ctx, "not-a-url", "has no host name; expected https://<collector host>/");
  if (url.username !== "" || url.password !== "") {
    fail(
      ctx,
      "credentials-in-url",
      "contains credentials (user:password@); remove them: the collector authenticates sensors with the push-token parameter",
    );
  }
  if (url.hash !== "")
    fail(ctx, "fragment-in-url", "contains a #fragment, which is never sent to a server; remove it");
  if (LOOPBACK_HOSTS.test(url.hostname)) {
    fail(
      ctx,
      "loopback-host",
      "points at the sensor itself (localhost/loopback); use the collector's address",
    );
  }
  checkPort(url, ctx);
});

export const pushTokenSchema = z.string().superRefine((value, ctx) => {
  if (!checkCommon(value, ctx, PUSH_TOKEN_LABEL_MAX_LENGTH + 1 + PUSH_TOKEN_SECRET_MAX_LENGTH)) return;
  const colon = value.indexOf(":");
  if (colon < 0) {
    fail(
      ctx,
      "token-format",
      "must have the form label:secret but has no colon; copy the whole token from the collector",
    );
    return;
  }
  const label = value.slice(0, colon);
  const secret = value.slice(colon + 1);
  if (label.length === 0 || label.length > PUSH_TOKEN_LABEL_MAX_LENGTH || !TOKEN_LABEL.test(label)) {
    fail(
      ctx,
      "token-label",
      `has an invalid label (the part before the colon): it must be 1-${PUSH_TOKEN_LABEL_MAX_LENGTH} letters, ` +
        "digits, dots, underscores or hyphens",
    );
  }
  if (secret.length < PUSH_TOKEN_SECRET_MIN_LENGTH || secret.length > PUSH_TOKEN_SECRET_MAX_LENGTH) {
    fail(
      ctx,
      "token-secret-length",
      `has a secret part (after the colon) of ${secret.length} characters; it must be ` +
        `${PUSH_TOKEN_SECRET_MIN_LENGTH}-${PUSH_TOKEN_SECRET_MAX_LENGTH}, so the token was probably truncated`,
    );
  }
  if (secret.length > 0 && !PRINTABLE_NON_SPACE_ASCII.test(secret)) {
    fail(
      ctx,
      "token-secret-characters",
      "has a secret part with spaces or non-ASCII characters; re-copy the token as plain text",
    );
  }
});

export const proxySchema = z.string().superRefine((value, ctx) => {
  if (!checkCommon(value, ctx, URL_MAX_LENGTH)) return;
  if (value.toLowerCase() === NONE_KEYWORD) return;
  const url = tryParseUrl(value);
  if (!url) {
    fail(
      ctx,
      "not-a-url",
      'is neither "none" nor an absolute URL; expected e.g. http://proxy.internal:3128 or none',
    );
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail(
      ctx,
      "proxy-scheme",
      `uses ${schemeDescription(url.protocol)}; the sensor supports http:// and https:// proxies only (or none)`,
    );
  }
  if (url.hostname === "") fail(ctx, "not-a-url", "has no host name; expected http://<proxy host>:<port>");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    fail(
      ctx,
      "proxy-path",
      "has a path, query or fragment; a proxy URL is only scheme://[user:pass@]host:port",
    );
  }
  checkPort(url, ctx);
});

export const osSensorHmacSchema = z.string().superRefine((value, ctx) => {
  if (!checkCommon(value, ctx, OS_SENSOR_HMAC_MAX_LENGTH * 4)) return;
  if (value.toLowerCase() === NONE_KEYWORD) return;
  if (!ALPHANUMERIC.test(value)) {
    fail(
      ctx,
      "hmac-characters",
      'may only contain letters and digits (or be "none" to disable osSensors); remove other characters',
    );
  }
  if (value.length < OS_SENSOR_HMAC_MIN_LENGTH || value.length > OS_SENSOR_HMAC_MAX_LENGTH) {
    fail(
      ctx,
      "hmac-length",
      `is ${value.length} characters long; an osSensor HMAC key is ${OS_SENSOR_HMAC_MIN_LENGTH}-` +
        `${OS_SENSOR_HMAC_MAX_LENGTH} letters and digits (or "none" to disable osSensors)`,
    );
  }
});
