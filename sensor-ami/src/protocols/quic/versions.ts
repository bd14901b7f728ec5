// QUIC versions the analyzer knows: their Zeek names, Initial salts (RFC 9001 §5.2, RFC 9369 §3.3,
// the drafts) and long-header packet-type encodings. Versions without a salt are recognised and
// named; their Initials (like those of versions missing from the table) are decrypted only if one
// of the public salts turns out to fit (trialInitialVersions).

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

/** Long-header packet types after mapping the version's two type bits (RFC 9369 §3.2 swaps them). */
export enum LongPacketType {
  Initial = 0,
  ZeroRtt = 1,
  Handshake = 2,
  Retry = 3,
}

export interface QuicVersionInfo {
  /** Zeek's QUIC::version_strings name. */
  readonly name: string;
  /** Initial salt; absent when we cannot derive Initial keys for the version. */
  readonly salt?: Uint8Array;
  /** HKDF label prefix for key / iv / hp: "quic" (v1 and drafts) or "quicv2" (RFC 9369). */
  readonly labelPrefix: "quic" | "quicv2";
  /** Wire type bits (0..3) → packet type. */
  readonly packetTypes: readonly LongPacketType[];
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

const SALT_V1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
const SALT_V2 = hex("0dede3def700a6db819381be6e269dcbf9bd2ed9");
const SALT_DRAFT_29 = hex("afbfec289993d24c9e9786f19c6111e04390a899");
const SALT_DRAFT_23 = hex("c3eef712c72ebb5a11a7d2432bb46365bef9f502");
const SALT_DRAFT_22 = hex("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a");

const V1_TYPES = [
  LongPacketType.Initial,
  LongPacketType.ZeroRtt,
  LongPacketType.Handshake,
  LongPacketType.Retry,
] as const;
const V2_TYPES = [
  LongPacketType.Retry,
  LongPacketType.Initial,
  LongPacketType.ZeroRtt,
  LongPacketType.Handshake,
] as const;

function v1Like(name: string, salt?: Uint8Array): QuicVersionInfo {
  return { name, salt, labelPrefix: "quic", packetTypes: V1_TYPES };
}

const VERSIONS = new Map<number, QuicVersionInfo>([
  [QUIC_V1, v1Like("1", SALT_V1)],
  [QUIC_V2, { name: "quicv2", salt: SALT_V2, labelPrefix: "quicv2", packetTypes: V2_TYPES }],
  [0xff000016, v1Like("draft-22", SALT_DRAFT_22)],
  [0xff000017, v1Like("draft-23", SALT_DRAFT_23)],
  [0xff000018, v1Like("draft-24", SALT_DRAFT_23)],
  [0xff000019, v1Like("draft-25", SALT_DRAFT_23)],
  [0xff00001a, v1Like("draft-26", SALT_DRAFT_23)],
  [0xff00001b, v1Like("draft-27", SALT_DRAFT_23)],
  [0xff00001c, v1Like("draft-28", SALT_DRAFT_23)],
  [0xff00001d, v1Like("draft-29", SALT_DRAFT_29)],
  [0xff00001e, v1Like("draft-30", SALT_DRAFT_29)],
  // Zeek's table names 0xff00001f "draft-30" too (a typo upstream); we keep its string for parity.
  [0xff00001f, v1Like("draft-30", SALT_DRAFT_29)],
  [0xff000020, v1Like("draft-32", SALT_DRAFT_29)],
  [0xff000021, v1Like("draft-33", SALT_V1)],
  [0xff000022, v1Like("draft-34", SALT_V1)],
  // Facebook mvfst, named like Zeek. faceb001 is mvfst's draft-22 variant and uses that draft's
  // salt; faceb002 and faceb00e are its draft-27 variants with the draft-23..28 salt (mvfst's
  // getQuicVersionSalt; Wireshark's and nDPI's quic_draft_version map them the same way).
  [0xfaceb001, v1Like("mvfst (faceb001)", SALT_DRAFT_22)],
  [0xfaceb002, v1Like("mvfst (faceb002)", SALT_DRAFT_23)],
  [0xfaceb00e, v1Like("mvfst (faceb00e)", SALT_DRAFT_23)],
  // Later experimental mvfst versions: named, salts not public; trialInitialVersions may find one.
  [0xfaceb011, v1Like("mvfst (faceb011)")],
  [0xfaceb012, v1Like("mvfst (faceb012)")],
  [0xfaceb013, v1Like("mvfst (faceb013)")],
]);

export function quicVersionInfo(version: number): QuicVersionInfo | undefined {
  return VERSIONS.get(version);
}

/** Zeek's rendering of a version number: the table name, else `unknown-<hex>`. */
export function quicVersionName(version: number): string {
  return VERSIONS.get(version)?.name ?? `unknown-${version.toString(16)}`;
}

/**
 * Salts tried, in this order, on the client Initial of a version without a salt of its own:
 * versions are opaque (RFC 8999), and the ones seen in the wild that are not in the table reuse a
 * public salt under v1's layout — the version-negotiation-forcing 0x?a?a?a?a (draft-29 salt, as
 * Wireshark assumes), mvfst's v1 aliases (v1 salt), experimental draft builds. AES-GCM's tag says
 * whether a salt fits, so a wrong guess costs one failed decryption and never yields a record.
 */
const TRIAL_SALTS = [SALT_V1, SALT_DRAFT_29, SALT_DRAFT_23, SALT_DRAFT_22] as const;

/** Candidate descriptions of a version without a salt (v1 layout and labels), in trial order. */
export function trialInitialVersions(version: number): QuicVersionInfo[] {
  const name = quicVersionName(version);
  return TRIAL_SALTS.map((salt) => v1Like(name, salt));
}
