// SSLv2 cipher-kind names (draft-hickman-netscape-ssl-00, Appendix C) in Zeek's spelling; SSLv2
// cipher specs are 24-bit values and live in their own table.

export const SSLV2_CIPHER_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x010080, "SSLv20_CK_RC4_128_WITH_MD5"],
  [0x020080, "SSLv20_CK_RC4_128_EXPORT40_WITH_MD5"],
  [0x030080, "SSLv20_CK_RC2_128_CBC_WITH_MD5"],
  [0x040080, "SSLv20_CK_RC2_128_CBC_EXPORT40_WITH_MD5"],
  [0x050080, "SSLv20_CK_IDEA_128_CBC_WITH_MD5"],
  [0x060040, "SSLv20_CK_DES_64_CBC_WITH_MD5"],
  [0x0700c0, "SSLv20_CK_DES_192_EDE3_CBC_WITH_MD5"],
]);
