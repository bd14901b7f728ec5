// Test vectors of RFC 9001 Appendix A (QUIC v1) and RFC 9369 Appendix A (QUIC v2): the same
// client CRYPTO frame and server payload, protected with each version's Initial keys.

export const RFC_DCID = "8394c8f03e515708";

/** RFC 9001 A.2: the client's CRYPTO frame; the payload is padded with zeros to 1162 bytes. */
export const CLIENT_CRYPTO_FRAME =
  "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868" +
  "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578" +
  "616d706c652e636f6dff01000100000a00080006001d00170018001000070005" +
  "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba" +
  "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400" +
  "0d0010000e0403050306030203080408050806002d00020101001c0002400100" +
  "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000" +
  "75300901100f088394c8f03e51570806048000ffff";
export const CLIENT_PAYLOAD_LENGTH = 1162;
export const CLIENT_PACKET_NUMBER = 2;

/** RFC 9001 A.3: the server's ACK + CRYPTO(ServerHello) payload, packet number 1. */
export const SERVER_PAYLOAD =
  "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739" +
  "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94" +
  "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00" +
  "020304";

export interface VersionVectors {
  clientSecret: string;
  client: { key: string; iv: string; hp: string };
  serverSecret: string;
  server: { key: string; iv: string; hp: string };
  clientUnprotectedHeader: string;
  clientSample: string;
  clientMask: string;
  clientProtectedHeader: string;
  /** Last 16 bytes of the protected client packet: the AEAD tag. */
  clientTag: string;
  /** The complete protected server Initial. */
  serverPacket: string;
}

export const V1: VersionVectors = {
  clientSecret: "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
  client: {
    key: "1f369613dd76d5467730efcbe3b1a22d",
    iv: "fa044b2f42a3fd3b46fb255c",
    hp: "9f50449e04a0e810283a1e9933adedd2",
  },
  serverSecret: "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
  server: {
    key: "cf3a5331653c364c88f0f379b6067e37",
    iv: "0ac1493ca1905853b0bba03e",
    hp: "c206b8d9b9f0f37644430b490eeaa314",
  },
  clientUnprotectedHeader: "c300000001088394c8f03e5157080000449e00000002",
  clientSample: "d1b1c98dd7689fb8ec11d242b123dc9b",
  clientMask: "437b9aec36",
  clientProtectedHeader: "c000000001088394c8f03e5157080000449e7b9aec34",
  clientTag: "e221af44860018ab0856972e194cd934",
  serverPacket:
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a" +
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3" +
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84" +
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4" +
    "2158407dd074ee",
};

export const V2: VersionVectors = {
  clientSecret: "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
  client: {
    key: "8b1a0bc121284290a29e0971b5cd045d",
    iv: "91f73e2351d8fa91660e909f",
    hp: "45b95e15235d6f45a6b19cbcb0294ba9",
  },
  serverSecret: "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
  server: {
    key: "82db637861d55e1d011f19ea71d5d2a7",
    iv: "dd13c276499c0249d3310652",
    hp: "edf6d05c83121201b436e16877593c3a",
  },
  clientUnprotectedHeader: "d36b3343cf088394c8f03e5157080000449e00000002",
  clientSample: "ffe67b6abcdb4298b485dd04de806071",
  clientMask: "94a0c95e80",
  clientProtectedHeader: "d76b3343cf088394c8f03e5157080000449ea0c95e82",
  clientTag: "a18b2faa745b6fe189cf772a9f84cbfc",
  serverPacket:
    "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698" +
    "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17" +
    "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2" +
    "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8" +
    "4bed8521e2e140",
};
