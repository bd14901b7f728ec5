// What HttpMessageParser (message-parser.ts) asks and tells the transaction logic that owns it.

/** How the body after a header block is delimited, as decided by the message's owner. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "until-close" }
  /** Bytes after the header block are held back until resume() (CONNECT awaiting its reply). */
  | { readonly kind: "pause" }
  /** Nothing after the header block is HTTP (a tunnel or protocol upgrade). */
  | { readonly kind: "stop" };

/** What the start line turned out to be. */
export type StartLineVerdict = "headers" | "no-headers" | "reject";

/** Callbacks from the parser to the transaction logic that owns it. */
export interface MessageEvents {
  /** Called before a new message: true when it has no start line or headers (HTTP/0.9 reply). */
  headerless(ts: number): boolean;
  startLine(line: string, ts: number): StartLineVerdict;
  /**
   * A header whose name is in the parser's `wanted` set: `id` is the name's id there, `value`
   * the trimmed value as sent (obs-fold lines joined).
   */
  header(id: number, value: string): void;
  headersDone(ts: number): BodyFraming;
  /** Body bytes bytes[start, end) (a range rather than a view: no object per delivery). */
  body(bytes: Uint8Array, start: number, end: number): void;
  /** `interrupted` when a gap, a limit or the end of the connection cut the message short. */
  messageDone(ts: number, interrupted: boolean): void;
  weird(name: string, addl?: string): void;
  /** A gap broke the message framing: whatever was in flight in this direction is lost. */
  lostSync(): void;
}
