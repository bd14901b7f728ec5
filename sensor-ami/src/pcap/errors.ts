// Named errors of the PCAP ring. The worker's writer never throws into the packet path: these
// reach the CLI (`spanless pcap find`) and the uploader's log lines, each wrapping its `cause`.

export class PcapFindError extends Error {
  override name = "PcapFindError";
}

export class PcapUploadError extends Error {
  override name = "PcapUploadError";
}

export class PcapConfigError extends Error {
  override name = "PcapConfigError";
}
