// The ring's file names. A file being written is `<startMicros>-<seq>.pcap`; once closed it is
// renamed `<startMicros>-<endMicros>-w<worker>.pcap`, so `spanless pcap find` and the uploader
// know a file's time range (first and last packet, microseconds since the epoch) and its worker
// without opening it. Only closed names are ever uploaded or listed.

export interface ClosedName {
  startMicros: number;
  endMicros: number;
  worker: number;
}

const CLOSED = /^(\d{1,17})-(\d{1,17})-w(\d{1,4})\.pcap$/;
const OPEN = /^(\d{1,17})-(\d{1,9})\.pcap$/;

export function openName(startMicros: number, seq: number): string {
  return `${startMicros}-${seq}.pcap`;
}

export function closedName(n: ClosedName): string {
  return `${n.startMicros}-${n.endMicros}-w${n.worker}.pcap`;
}

export function parseClosedName(name: string): ClosedName | undefined {
  const m = CLOSED.exec(name);
  if (m === null) return undefined;
  return { startMicros: Number(m[1]), endMicros: Number(m[2]), worker: Number(m[3]) };
}

/** A file left open by a crash: its start time, or undefined for any other name. */
export function parseOpenName(name: string): number | undefined {
  const m = OPEN.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** A worker's folder under the ring's directory. */
export function workerFolder(worker: number): string {
  return `w${worker}`;
}

/** The worker of a folder named `w<N>`, or undefined for any other name. */
export function parseWorkerFolder(name: string): number | undefined {
  const m = /^w(\d{1,4})$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Beside a closed file once S3 holds it: `<file>.uploaded`, zero bytes, so a restart knows which
 * closed files still need uploading. Deleted with its file; never a pcap name itself.
 */
export const UPLOADED_SUFFIX = ".uploaded";

export function uploadedMarker(path: string): string {
  return `${path}${UPLOADED_SUFFIX}`;
}

/** `YYYY-MM-DD` (UTC) of a time in microseconds: the S3 layout's `dt=` partition. */
export function utcDay(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().slice(0, 10);
}

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
}

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** `s3://bucket[/prefix]`, or undefined when it is not one. */
export function parseS3Url(text: string): S3Location | undefined {
  const m = S3_URL.exec(text);
  if (m === null) return undefined;
  return { bucket: m[1] as string, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/** Where a closed file goes: `<prefix>/pcap/sensor=<id>/dt=YYYY-MM-DD/<file>`, dt of its first packet. */
export function pcapObjectKey(prefix: string, sensorId: string, name: string): string | undefined {
  const n = parseClosedName(name);
  if (n === undefined) return undefined;
  const key = `pcap/sensor=${sensorId}/dt=${utcDay(n.startMicros)}/${name}`;
  return prefix === "" ? key : `${prefix}/${key}`;
}
