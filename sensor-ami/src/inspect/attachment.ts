// One analyzer attached to one connection, and the AnalyzerContext it talks back through.
// Everything an analyzer does to the outside world (logs, weirds, service confirmation,
// violation) passes here, so the inspector can stamp connection fields and detach cleanly.

import { formatAddr } from "../engine/addr.js";
import type { Connection } from "../engine/connection.js";
import type { AnalyzerContext, DatagramAnalyzer, LogRecord, StreamAnalyzer } from "../protocols/types.js";

/** What an attachment needs from the inspector that owns it. */
export interface AttachmentHost {
  writeLog(c: Connection, path: string, record: LogRecord): void;
  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void;
  confirmed(service: string): void;
  violated(service: string, reason: string): void;
  protocolSwitched(c: Connection): void;
}

export class Attachment<A extends StreamAnalyzer | DatagramAnalyzer> implements AnalyzerContext {
  analyzer: A | null = null;
  confirmedService = false;
  /** Set by violation() or an exception: the inspector removes the attachment after the call. */
  detached = false;
  /** Zeek's weird.log `source` for analyzer weirds is the analyzer's name in capitals. */
  readonly source: string;

  constructor(
    private readonly host: AttachmentHost,
    private readonly c: Connection,
    readonly service: string,
  ) {
    this.source = service.toUpperCase();
  }

  /**
   * The connection's identity in the engine's orientation, for analyzers whose records span
   * several connections (DHCP transactions carry `uids`); computed on demand.
   */
  get connection(): { uid: string; id: { orig_h: string; orig_p: number; resp_h: string; resp_p: number } } {
    const c = this.c;
    return {
      uid: c.uid,
      id: {
        orig_h: formatAddr(c.o0, c.o1, c.o2, c.o3),
        orig_p: c.oPort,
        resp_h: formatAddr(c.r0, c.r1, c.r2, c.r3),
        resp_p: c.rPort,
      },
    };
  }

  log(path: string, record: LogRecord): void {
    this.host.writeLog(this.c, path, record);
  }

  weird(name: string, addl?: string): void {
    this.host.analyzerWeird(this.c, name, addl, this.source);
  }

  confirm(service: string): void {
    this.c.addService(service);
    if (!this.confirmedService) {
      this.confirmedService = true;
      this.host.confirmed(service);
    }
  }

  /**
   * Extension of AnalyzerContext for analyzers whose protocol hands the connection over to another
   * (HTTP after an accepted CONNECT or a 101 Switching Protocols): call it once the handing-over
   * message is complete; detection starts again on the bytes that follow, and this analyzer gets
   * no more data (its end() still comes at connection end). Analyzers reach it as
   * `(ctx as { switchProtocol?: () => void }).switchProtocol?.()`.
   */
  switchProtocol(): void {
    if (this.detached) return;
    this.host.protocolSwitched(this.c);
  }

  violation(reason: string): void {
    if (this.detached) return;
    this.detached = true;
    this.host.violated(this.service, reason);
  }
}
