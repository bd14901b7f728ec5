// Decoded length and first bytes of a gzip/deflate body — exactly what Node's
// gunzipSync / inflateSync (falling back to inflateRawSync) report with
// { finishFlush: Z_SYNC_FLUSH, maxOutputLength } — without what those one-shot calls cost per
// body: a new zlib engine (inflateInit + 32 KB window) and output buffers for the whole decoded
// body, only to measure it. Here one engine per coding is reset and reused, and output goes
// through one fixed scratch buffer of which only the first bytes are kept.
//
// The engine is driven through its native handle (`_handle.writeSync`), the same loop Node's
// processChunkSync runs (lib/zlib.js, Node 20): same flush flag, same 16 KB output window per
// call, so the same calls reach zlib in the same order and produce the same outcome — decoded
// length, or the same error message (zlib's, or ERR_BUFFER_TOO_LARGE's). When the handle is not
// there (another Node), the public one-shot functions are used instead.

import { Buffer } from "node:buffer";
import {
  constants,
  createGunzip,
  createInflate,
  createInflateRaw,
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
  type ZlibOptions,
} from "node:zlib";

/** What Node's processChunkSync uses per output write (zlib.constants.Z_DEFAULT_CHUNK). */
const OUTPUT_WINDOW_BYTES = 16 * 1024;

export type InflateMode = "gunzip" | "inflate" | "inflate-raw";

export type InflateOutcome =
  | { readonly ok: true; readonly length: number }
  | { readonly ok: false; readonly message: string };

/** The parts of Node's native zlib handle the loop needs (internal API of node:zlib). */
interface NativeZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

interface ZlibInternals {
  _handle?: NativeZlibHandle;
  /** [avail_out, avail_in] after the last write. */
  _writeState?: Uint32Array;
}

/** One reusable engine: its handle, its result slots and the error its last write reported. */
class Engine {
  error: string | undefined = undefined;

  constructor(
    /** The stream object that owns the handle, kept alive with it. */
    readonly stream: object,
    readonly handle: NativeZlibHandle,
    readonly state: Uint32Array,
  ) {
    // Errors are reported synchronously through onerror; taking it over also keeps the stream
    // object from emitting an 'error' event nobody listens to.
    handle.onerror = (message) => {
      this.error = message;
    };
  }
}

function createEngine(mode: InflateMode): Engine | undefined {
  const stream =
    mode === "gunzip" ? createGunzip() : mode === "inflate" ? createInflate() : createInflateRaw();
  const { _handle: handle, _writeState: state } = stream as unknown as ZlibInternals;
  if (typeof handle?.writeSync !== "function" || !(state instanceof Uint32Array)) {
    stream.close();
    return undefined;
  }
  return new Engine(stream, handle, state);
}

const ONE_SHOT = { gunzip: gunzipSync, inflate: inflateSync, "inflate-raw": inflateRawSync } as const;

/** The self-check body: 40 KB of varied text, more than two output windows once decoded. */
const SELF_CHECK_PLAIN = Buffer.from(
  Array.from({ length: 1000 }, (_, i) => `line ${i} of the zlib self-check ${i * 7919}\n`).join(""),
  "latin1",
);
const SELF_CHECK_CODERS = { gunzip: gzipSync, inflate: deflateSync, "inflate-raw": deflateRawSync } as const;

/** Reusable inflaters for one thread of analysis (one per mode, created on first use). */
export class BodyInflater {
  private readonly engines = new Map<InflateMode, Engine>();
  private readonly window = new Uint8Array(OUTPUT_WINDOW_BYTES);
  private nativeUsable = true;

  constructor(
    private readonly maxOutputBytes: number,
    /** Receives the first decoded bytes (at most head.length). */
    private readonly head: Uint8Array,
  ) {}

  /** Bytes of `head` filled by the last successful run. */
  headLength = 0;

  run(mode: InflateMode, input: Uint8Array): InflateOutcome {
    this.headLength = 0;
    const engine = this.nativeUsable ? this.engine(mode) : undefined;
    if (!engine) return this.runOneShot(mode, input);
    const { handle, state } = engine;
    const window = this.window;
    let inOffset = 0;
    let inLength = input.length;
    let produced = 0;
    for (;;) {
      handle.writeSync(constants.Z_SYNC_FLUSH, input, inOffset, inLength, window, 0, OUTPUT_WINDOW_BYTES);
      const error = engine.error;
      if (error !== undefined) {
        // Node closes an engine that failed; resetting it gives the same fresh state (inflateReset)
        // without building another (test/protocols/http/inflate.test.ts reuses engines this way).
        engine.error = undefined;
        handle.reset();
        this.headLength = 0;
        return { ok: false, message: error };
      }
      const outLeft = state[0];
      const inLeft = state[1];
      const have = OUTPUT_WINDOW_BYTES - outLeft;
      if (have > 0 && produced < this.head.length) {
        const take = Math.min(have, this.head.length - produced);
        this.head.set(window.subarray(0, take), produced);
        this.headLength = produced + take;
      }
      produced += have;
      if (produced > this.maxOutputBytes) {
        handle.reset();
        this.headLength = 0;
        return { ok: false, message: `Cannot create a Buffer larger than ${this.maxOutputBytes} bytes` };
      }
      // A full window means zlib may have more to give for the same input.
      if (outLeft !== 0) break;
      inOffset += inLength - inLeft;
      inLength = inLeft;
    }
    handle.reset();
    return { ok: true, length: produced };
  }

  private engine(mode: InflateMode): Engine | undefined {
    let engine = this.engines.get(mode);
    if (!engine) {
      engine = createEngine(mode);
      if (!engine || !this.selfCheck(mode, engine)) {
        this.nativeUsable = false;
        return undefined;
      }
      this.engines.set(mode, engine);
    }
    return engine;
  }

  /**
   * The native handle is internal API: before trusting it, one known body (compressed by the
   * public API, long enough to need several output windows) must decode to the same length and
   * first bytes through it. A Node whose internals differ then gets the one-shot functions.
   */
  private selfCheck(mode: InflateMode, engine: Engine): boolean {
    this.engines.set(mode, engine);
    try {
      const sample = SELF_CHECK_PLAIN;
      const coded = SELF_CHECK_CODERS[mode](sample);
      const outcome = this.run(mode, coded);
      const headOk = this.head.every((b, i) => i >= this.headLength || b === sample[i]);
      return outcome.ok && outcome.length === sample.length && this.headLength > 0 && headOk;
    } catch {
      return false;
    } finally {
      this.engines.delete(mode);
      this.headLength = 0;
    }
  }

  private runOneShot(mode: InflateMode, input: Uint8Array): InflateOutcome {
    const options: ZlibOptions = {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: this.maxOutputBytes,
    };
    try {
      const decoded = ONE_SHOT[mode](input, options);
      const take = Math.min(decoded.length, this.head.length);
      this.head.set(decoded.subarray(0, take), 0);
      this.headLength = take;
      return { ok: true, length: decoded.length };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }
}
