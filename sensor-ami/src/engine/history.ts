// Zeek's connection history: one letter per kind of event, upper case for the originator and
// lower case for the responder. Most letters are recorded once per direction; SYN/FIN/RST letters
// repeat when the sequence number changes; checksum, gap, retransmission and zero-window letters
// are logarithmic (1st, 10th, 100th … occurrence).

export const HIST_SYN = 0x1;
export const HIST_FIN = 0x2;
export const HIST_RST = 0x4;
export const HIST_FIN_RST = 0x8;
export const HIST_DATA = 0x10;
export const HIST_ACK = 0x20;
export const HIST_MULTI_FLAG = 0x40;
/** Analysis stopped short (e.g. tunnel depth exceeded): letter X. */
export const HIST_PARTIAL = 0x80;
/** UDP "packet seen" letters share the data bit. */
export const HIST_UDP = HIST_DATA;

/** History strings longer than this stop growing (bounded memory on pathological flows). */
export const MAX_HISTORY_LENGTH = 64;

interface HistoryOwner {
  history: string;
  histSeen: number;
}

/** Records `code` the first time this (direction, mask) is seen; returns true if it was seen before. */
export function checkHistory(c: HistoryOwner, isOrig: boolean, mask: number, code: string): boolean {
  const m = isOrig ? mask : mask << 16;
  if ((c.histSeen & m) === 0) {
    c.histSeen |= m;
    addHistory(c, isOrig, code);
    return false;
  }
  return true;
}

export function addHistory(c: HistoryOwner, isOrig: boolean, code: string): void {
  if (c.history.length < MAX_HISTORY_LENGTH) c.history += isOrig ? code : code.toLowerCase();
}

/** Logarithmic letters are recorded on the 1st, 10th, 100th … occurrence. */
export function isLogStep(count: number): boolean {
  return (
    count === 1 ||
    count === 10 ||
    count === 100 ||
    count === 1000 ||
    count === 10000 ||
    count === 100000 ||
    count === 1000000 ||
    count === 10000000
  );
}
