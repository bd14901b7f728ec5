// Loads the batched-receive addon (sensor-ami/native, built by `npm ci` through
// tools/build-native.mjs). Never throws: a missing or broken addon is a reason, and the caller
// falls back to node:dgram with it.
//
// Where it looks, first match wins:
//   SPANLESS_NATIVE=off          no addon (the fallback is forced)
//   SPANLESS_NATIVE_ADDON=<path> that file only
//   the source tree and the tools build: sensor-ami/native/build/Release/spanless_udp.node
//   the one-file sensor bundle (dist/bundle/sensor/, /opt/spanless/lib on the image): beside spanless.mjs

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DATAGRAM_SLOT_BYTES, MAX_BATCH_DATAGRAMS, type ReceiveBatch } from "./types.js";

export const ADDON_FILE = "spanless_udp.node";

/** An open socket of the addon (a Node-API external). */
export type NativeHandle = { readonly __nativeUdpSocket: unique symbol };

/** What sensor-ami/native/src/udp.c exports (its header comment is the reference). */
export interface NativeUdpAddon {
  readonly MAX_BATCH_DATAGRAMS: number;
  readonly DATAGRAM_SLOT_BYTES: number;
  open(
    host: string,
    port: number,
    receiveBufferBytes: number,
    reusePort: boolean,
  ): { handle: NativeHandle; port: number; family: 4 | 6; receiveBufferBytes: number };
  /** counters: [0] socket drops (SO_RXQ_OVFL), [1] batches, [2] receive errors. */
  start(
    handle: NativeHandle,
    batch: ReceiveBatch,
    counters: Float64Array,
    onBatch: (count: number) => void,
  ): void;
  setDestination(handle: NativeHandle, host: string, port: number): void;
  send(handle: NativeHandle, data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  close(handle: NativeHandle): void;
}

export type AddonLoad = { addon: NativeUdpAddon; path: string } | { addon: undefined; reason: string };

/** The places the addon may be, in order, for a module at `moduleDir`. */
export function addonCandidates(moduleDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = env.SPANLESS_NATIVE_ADDON;
  if (explicit) return [resolve(explicit)];
  return [
    // sensor-ami/src/capture/udp -> sensor-ami/native
    join(moduleDir, "..", "..", "..", "native", "build", "Release", ADDON_FILE),
    // dist/sensor-ami/src/capture/udp -> sensor-ami/native
    join(moduleDir, "..", "..", "..", "..", "..", "sensor-ami", "native", "build", "Release", ADDON_FILE),
    // beside the one-file bundle (spanless.mjs), and its parent folder
    join(moduleDir, ADDON_FILE),
    join(moduleDir, "..", ADDON_FILE),
  ];
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0].trim();
}

/** Loads the addon from `candidates` (default: addonCandidates of this module). */
export function loadNativeAddon(
  env: NodeJS.ProcessEnv = process.env,
  candidates: string[] = addonCandidates(dirname(fileURLToPath(import.meta.url)), env),
): AddonLoad {
  if (env.SPANLESS_NATIVE === "off") return { addon: undefined, reason: "SPANLESS_NATIVE=off" };
  const path = candidates.find((c) => existsSync(c));
  if (path === undefined) {
    const where = env.SPANLESS_NATIVE_ADDON
      ? `SPANLESS_NATIVE_ADDON=${env.SPANLESS_NATIVE_ADDON}: no such file`
      : "not built (npm run build:native)";
    return { addon: undefined, reason: `native UDP addon ${ADDON_FILE} ${where}` };
  }
  let addon: NativeUdpAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeUdpAddon;
  } catch (err) {
    return { addon: undefined, reason: `native UDP addon ${path} does not load: ${oneLine(err)}` };
  }
  if (
    addon.MAX_BATCH_DATAGRAMS !== MAX_BATCH_DATAGRAMS ||
    addon.DATAGRAM_SLOT_BYTES !== DATAGRAM_SLOT_BYTES
  ) {
    return {
      addon: undefined,
      reason:
        `native UDP addon ${path} was built for ${addon.MAX_BATCH_DATAGRAMS} x ${addon.DATAGRAM_SLOT_BYTES}-byte ` +
        `slots, not ${MAX_BATCH_DATAGRAMS} x ${DATAGRAM_SLOT_BYTES} (rebuild: npm run build:native)`,
    };
  }
  return { addon, path };
}

let cached: { key: string; load: AddonLoad } | undefined;

/** loadNativeAddon() with the process environment, loaded again only when SPANLESS_NATIVE* change. */
export function nativeAddon(): AddonLoad {
  const key = `${process.env.SPANLESS_NATIVE}\0${process.env.SPANLESS_NATIVE_ADDON}`;
  if (cached?.key !== key) cached = { key, load: loadNativeAddon() };
  return cached.load;
}
