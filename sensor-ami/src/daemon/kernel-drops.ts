// The kernel's drop counters as the sensor reports them: deltas since the sensor started (the
// /proc counters run since boot and count other processes too). The per-port figure is this
// sensor's socket (it also covers the dgram fallback, which has no SO_RXQ_OVFL); the host's
// RcvbufErrors is shown beside it because a drop there for another socket is still a sign the
// machine is short of buffer.

import { readKernelDrops } from "../capture/udp/kernel-drops.js";

export class KernelDropMonitor {
  private baseRcvbuf: number | undefined;
  private basePort: number | undefined;
  private rcvbuf = 0;
  private port = 0;

  constructor(
    private readonly listenPort: number,
    private readonly procNet = "/proc/net",
  ) {}

  /** Reads /proc now; a counter that went backwards (a new socket, a namespace) rebases. */
  sample(): void {
    const k = readKernelDrops(this.listenPort, this.procNet);
    if (k.system !== undefined) {
      const v = k.system.rcvbufErrors;
      if (this.baseRcvbuf === undefined || v < this.baseRcvbuf + this.rcvbuf)
        this.baseRcvbuf = v - this.rcvbuf;
      this.rcvbuf = v - this.baseRcvbuf;
    }
    if (k.port !== undefined && k.port.sockets > 0) {
      const v = k.port.drops;
      if (this.basePort === undefined || v < this.basePort + this.port) this.basePort = v - this.port;
      this.port = v - this.basePort;
    }
  }

  totals(): { rcvbufErrors: number; portDrops: number } {
    return { rcvbufErrors: this.rcvbuf, portDrops: this.port };
  }
}
