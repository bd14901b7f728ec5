// The boot log: SPANLESS-BOOT markers (contracts/boot) and a few plain lines, written to the
// bootstrap's stdout, which the user data appends to /var/log/user-data.log (the CloudWatch agent
// ships it as <instance-id>-userdata, where the health function reads it). Nothing here formats a
// value it was not given: callers pass reasons that are already free of secrets.

import { type BootStatus, bootMarkerNow } from "../../../contracts/boot/markers.js";

export class BootLog {
  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  marker(step: string, status: BootStatus, reason?: string): void {
    this.write(`${bootMarkerNow(step, status, reason, this.now())}\n`);
  }

  /** A plain line for people reading the log; not parsed by anything. */
  info(text: string): void {
    this.write(`spanless bootstrap: ${text}\n`);
  }
}
