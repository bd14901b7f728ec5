// The kernel caps SO_RCVBUF at net.core.rmem_max (Linux doubles what is asked, for bookkeeping, and
// reports the doubled value). A receive buffer smaller than asked means bursts the daemon cannot
// absorb become kernel drops: say so at start, with the fix.

import { readFileSync } from "node:fs";

export const RMEM_MAX_PATH = "/proc/sys/net/core/rmem_max";

/** net.core.rmem_max in bytes, or undefined where it cannot be read (not Linux, no /proc). */
export function readRmemMax(path: string = RMEM_MAX_PATH): number | undefined {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(bytes % 1048576 === 0 ? 0 : 1)} MiB`;

/**
 * A warning (one paragraph) when the granted receive buffer is below the request, with the sysctl
 * that fixes it; undefined when the request was met. `granted` is SO_RCVBUF as read back.
 */
export function receiveBufferWarning(
  requested: number,
  granted: number,
  rmemMax: number | undefined,
): string | undefined {
  if (requested <= 0 || granted >= requested) return undefined;
  const cap = rmemMax === undefined ? "" : ` (net.core.rmem_max is ${rmemMax} bytes = ${mib(rmemMax)})`;
  return (
    `receive buffer ${granted} bytes (${mib(granted)}) is below the ${requested} bytes (${mib(requested)}) asked for${cap}; ` +
    `bursts beyond it are dropped by the kernel. Fix: sysctl -w net.core.rmem_max=${requested} ` +
    `(persist it with: echo 'net.core.rmem_max=${requested}' > /etc/sysctl.d/60-spanless.conf), then restart, ` +
    `or run with CAP_NET_ADMIN so SO_RCVBUFFORCE can exceed the cap.`
  );
}
