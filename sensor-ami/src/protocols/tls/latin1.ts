// Bytes as Latin-1 text (each byte one character): host names, ALPN values and certificate
// strings are short, and one String.fromCharCode call beats making a Buffer to decode them.

/** Strings up to this long are built with one String.fromCharCode call (its arguments go on the stack). */
const MAX_CHAR_CODE_ARGUMENTS = 1024;

export function latin1Text(value: Uint8Array): string {
  if (value.length <= MAX_CHAR_CODE_ARGUMENTS) {
    return String.fromCharCode.apply(null, value as unknown as number[]);
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1");
}
