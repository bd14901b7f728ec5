// One analyzer attached to one connection, and the AnalyzerContext it talks back through.
// Everything an analyzer does to the outside world (logs, weirds, service confirmation,
// violation) passes here, so the inspector can stamp connection fields and detach cleanly.

import { formatAddr } from "../engine/addr.js";
import type { Connection } from "../engine/connection.js";
import type {
  AnalyzerContext,
  ConnectionIdentity,
  DatagramAnalyzer,
  LogRecord,
  StreamAnalyzer,
} from "../protocols/types.js";

/** What an attachment needs from the inspector that owns it. */
export interface AttachmentHost {
  writeLog(c: Connection, path: string, record: LogRecord): void;
  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void;
  confirmed(service: string): void;
  violated(service: string, reason: string): void;
  protocolSwitched(c: Connection): void;
  flipRoles(c: Connection): boolean;
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

  /** AnalyzerContext.connection, computed on demand. */
  get connection(): ConnectionIdentity {
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

  switchProtocol(): void {
    if (this.detached) return;
    this.host.protocolSwitched(this.c);
  }

  flipRoles(): boolean {
    return !this.detached && this.host.flipRoles(this.c);
  }

  violation(reason: string): void {
    if (this.detached) return;
    this.detached = true;
    this.host.violated(this.service, reason);
  }
}
