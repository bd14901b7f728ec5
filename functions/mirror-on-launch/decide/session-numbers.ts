// Session-number allocation. Numbers order evaluation on an ENI (lowest first, first matching filter
// wins, each packet mirrored once), so Spanless takes the preferred number when free and otherwise the
// nearest free number above it, then below it — never one a foreign session already uses.
import { MAX_SESSION_NUMBER, MIN_SESSION_NUMBER } from "../limits.js";

export function allocateSessionNumber(taken: Iterable<number>, preferred: number): number | undefined {
  const used = new Set(taken);
  for (let n = preferred; n <= MAX_SESSION_NUMBER; n += 1) if (!used.has(n)) return n;
  for (let n = preferred - 1; n >= MIN_SESSION_NUMBER; n -= 1) if (!used.has(n)) return n;
  return undefined;
}
