/* Hand-written stand-in for the file `sst deploy`/`sst dev` generate (toolchain.md: only a deploy writes it).
 * The Spanless functions read their settings from environment variables (each function's README), not from
 * SST's linked `Resource` object, so nothing is linked and the interface stays empty. A deploy may regenerate
 * this file with the same content. */
/* biome-ignore-all lint: generated shape */
import "sst";

declare module "sst" {
  export interface Resource {}
}

export {};
