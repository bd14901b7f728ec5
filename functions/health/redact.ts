// Log lines copied into an SNS message leave the account's log permissions behind, so anything that
// looks like a credential is masked first. The boot script must not log secrets (boot/README.md); this
// is the second line of defence for tools that print them anyway (curl -v, proxy URLs with passwords).

/** Longest log line copied into a message; the full line stays in CloudWatch Logs. */
const MAX_MESSAGE_LINE_CHARS = 300;

const MASK = "«redacted»";

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Authorization / proxy-authorization headers (curl -v prints them).
  [/((?:proxy-)?authorization:\s*)(?:bearer|basic|token)?\s*\S+/gi, `$1${MASK}`],
  // user:password@ in URLs (proxy URLs).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${MASK}@`],
  // key=value / key: value pairs whose key names a secret. The key must stand alone: in
  // `/spanless/prod/push-token:7` it is a parameter name with its version, which on-call needs to see.
  [
    /(?<![\w/-])((?:push[_-]?)?token|secret|password|passwd|hmac(?:[_-]?key)?|api[_-]?key|x-[a-z-]*token)(\s*[=:]\s*)("?)[^\s",;]+\3/gi,
    `$1$2$3${MASK}$3`,
  ],
];

export function redactSecrets(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Redacted, control characters removed, bounded: safe to put in a message. */
export function messageSafeLine(line: string, max = MAX_MESSAGE_LINE_CHARS): string {
  const clean = redactSecrets(line)
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .trimEnd();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
