// What the engine's bounds dropped, reported in weird.log at each sweep: incomplete fragment
// datagrams and connections evicted for the memory budget.

import { type FragmentLoss, WEIRD_FRAGMENT_FLOOD } from "../decode/fragments.js";
import { W } from "../decode/weirds.js";
import type { WeirdLog } from "./weird-log.js";

/** Weird (one per sweep interval, counts in addl) when the memory budget evicted connections. */
export const WEIRD_MEMORY_BUDGET = "memory_budget_full";

/**
 * Reports what the bounds dropped since the last sweep. Incomplete fragment datagrams: one
 * fragment_timeout (or fragment_table_full when dropped for room) each, unless there were so many
 * that they are a flood: then one fragment_flood weird with the counts. Memory evictions
 * (`memoryEvictions` not yet reported, the connection share being `memoryLimit` bytes): one weird
 * with the count (each evicted connection is also a connection_table_full weird). Decoder weirds
 * carry `vni`, the current packet's.
 */
export function reportLosses(
  weirds: WeirdLog,
  loss: FragmentLoss,
  vni: number,
  memoryEvictions: number,
  memoryLimit: number,
): void {
  if (loss.isFlood) {
    weirds.aggregateWeird(WEIRD_FRAGMENT_FLOOD, loss.describe(), "IP");
  } else {
    for (let i = 0; i < loss.timedOut; i++) weirds.decoder(W.fragmentTimeout, vni);
    for (let i = 0; i < loss.evicted; i++) weirds.decoder(W.fragmentTableFull, vni);
  }
  loss.reset();
  if (memoryEvictions > 0) {
    weirds.aggregateWeird(
      WEIRD_MEMORY_BUDGET,
      `${memoryEvictions} connections evicted (least recently active first): their share of the memory budget is ${memoryLimit} bytes`,
      "engine",
    );
  }
}
