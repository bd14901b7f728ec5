// One analyzer attached to one connection, and the AnalyzerContext it talks back through.
// Everything an analyzer does to the outside world (logs, weirds, service confirmation,
// violation) passes here, so the inspector can stamp connection fields and detach cleanly.

import { ConnIdRecord } from "../engine/conn-id.js";
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
    // The id block of the connection's log records, as Zeek's conn_id.
    const r = new ConnIdRecord(0, this.c);
    return {
      uid: r.uid,
      id: { orig_h: r["id.orig_h"], orig_p: r["id.orig_p"], resp_h: r["id.resp_h"], resp_p: r["id.resp_p"] },
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
