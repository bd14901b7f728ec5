// One memory budget for what the sensor holds on behalf of the traffic: connection state, TCP
// bytes held out of order for the analyzers, and IP fragments waiting for their datagram. A flood
// of any one of them (SYNs, out-of-order segments, never-completed fragments) must not take the
// machine, and an operator sizes one number (--memory-budget), not three.
//
// The budget is split into fixed shares, one account per consumer, so a flood of one kind cannot
// starve the others: a SYN flood evicts connections but leaves reassembly its room, a fragment
// flood loses fragments but not connections. Each consumer decides what to give up when its
// account refuses a reservation:
// - connections (engine): the least recently active connections are finished early (evictions);
// - reassembly (inspect/reassembler.ts): holes are declared gaps instead of held;
// - fragments (decode/fragments.ts): the oldest incomplete datagrams are dropped.
// Charges are estimates of what an object costs (measured with `npm run bench:flood`), not exact
// heap sizes: the aim is a bound within a small factor, at the cost of a few additions per charge.

/** Shares of the budget; they add up to 1. Connections dominate a busy sensor's memory. */
const CONNECTION_SHARE = 3 / 4;
const REASSEMBLY_SHARE = 3 / 16;
const FRAGMENT_SHARE = 1 / 16;

/** One consumer's part of the budget. */
export class MemoryAccount {
  /** Bytes charged now. */
  used = 0;
  /** Most bytes ever charged at once. */
  peak = 0;
  /** Reservations refused because the account was full (each made its consumer give something up). */
  refusals = 0;

  constructor(
    readonly name: string,
    /** Bytes this account may hold. */
    readonly limit: number,
  ) {}

  /** Charges `bytes` if they fit; false (and counted) if not. */
  reserve(bytes: number): boolean {
    const next = this.used + bytes;
    if (next > this.limit) {
      this.refusals++;
      return false;
    }
    this.used = next;
    if (next > this.peak) this.peak = next;
    return true;
  }

  /** True when `bytes` more would fit (nothing is charged). */
  fits(bytes: number): boolean {
    return this.used + bytes <= this.limit;
  }

  /** Charges `bytes` unconditionally (for a caller that asked fits() first). */
  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }
}

export class MemoryBudget {
  readonly connections: MemoryAccount;
  readonly reassembly: MemoryAccount;
  readonly fragments: MemoryAccount;

  constructor(
    /** Bytes in all. */
    readonly limit: number,
  ) {
    this.connections = new MemoryAccount("connections", Math.floor(limit * CONNECTION_SHARE));
    this.reassembly = new MemoryAccount("reassembly", Math.floor(limit * REASSEMBLY_SHARE));
    this.fragments = new MemoryAccount("fragments", Math.floor(limit * FRAGMENT_SHARE));
  }

  get accounts(): readonly MemoryAccount[] {
    return [this.connections, this.reassembly, this.fragments];
  }

  get used(): number {
    return this.connections.used + this.reassembly.used + this.fragments.used;
  }
}
