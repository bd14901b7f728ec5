// Shapes produced by the DHCP parser, and the dhcp.log record.

export interface DhcpWeird {
  name: string;
  addl?: string;
}

export interface DhcpClientId {
  hwtype: number;
  /** "aa:bb:cc:dd:ee:ff" for Ethernet, hex otherwise. */
  hwaddr: string;
}

export interface DhcpOptions {
  messageType?: number;
  hostName?: string;
  domainName?: string;
  requestedAddr?: string;
  /** Seconds. */
  leaseTime?: number;
  message?: string;
  serverId?: string;
  clientId?: DhcpClientId;
  clientFqdn?: string;
  parameterList?: number[];
}

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address as Zeek prints it ("" when it cannot be formatted). */
  chaddr: string;
  options: DhcpOptions;
  weirds: DhcpWeird[];
}

export type DhcpParseResult =
  | { ok: true; message: DhcpMessage }
  | { ok: false; error: string; weirds: DhcpWeird[] };

/** One dhcp.log line (Zeek field names). `uids` is present only when the engine supplied uids. */
export type DhcpLogRecord = {
  ts: number;
  uids?: string[];
  client_addr?: string;
  server_addr?: string;
  mac?: string;
  host_name?: string;
  client_fqdn?: string;
  domain?: string;
  requested_addr?: string;
  assigned_addr?: string;
  lease_time?: number;
  client_message?: string;
  server_message?: string;
  msg_types: string[];
  duration: number;
};
