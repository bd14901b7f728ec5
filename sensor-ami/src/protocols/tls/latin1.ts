// A whole byte view as Latin-1 text (each byte one character): host names, ALPN values and
// certificate strings.

import { latin1 } from "../byte-text.js";

export function latin1Text(value: Uint8Array): string {
  return latin1(value, 0, value.length);
}
