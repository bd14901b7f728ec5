// The collector's push tokens. `token create` prints `label:secret` once and keeps only the key derived
// from the secret (contracts/upload `deriveTokenKey`), which is all verification needs: whoever reads this
// file cannot recover a secret to configure another sensor with. The file is 0600 all the same (the key
// signs), and is re-read when it changes, so `token revoke` takes effect on a running collector.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { PUSH_TOKEN_LABEL_MAX_LENGTH } from "../../../contracts/config/rules.js";
import { deriveTokenKey, parsePushToken, TOKEN_KEY_BYTES } from "../../../contracts/upload/index.js";
import { TokenStoreError } from "./errors.js";
import { writeFileAtomicSync } from "./files.js";

export const TOKEN_FILE_VERSION = 1;
/** 256 random bits: base64url gives 43 characters, within contracts/config's 16-512 printable ASCII. */
export const TOKEN_SECRET_BYTES = 32;
const TOKEN_FILE_MODE = 0o600;
const LABEL = new RegExp(`^[A-Za-z0-9._-]{1,${PUSH_TOKEN_LABEL_MAX_LENGTH}}$`);

const entrySchema = z.object({
  label: z.string().regex(LABEL),
  /** base64url of the derived key. */
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  created: z.string(),
  revoked: z.string().nullable(),
});
const fileSchema = z.object({ version: z.literal(TOKEN_FILE_VERSION), tokens: z.array(entrySchema) });

export type TokenEntry = z.infer<typeof entrySchema>;
export type TokenLookup = { state: "active"; key: Buffer } | { state: "revoked" } | { state: "unknown" };

export class TokenStore {
  private entries: TokenEntry[] = [];
  /** mtime, size and inode of the file as last read: any change re-reads it. */
  private seen = "";

  constructor(readonly path: string) {}

  /** Labels, creation and revocation times; never keys. */
  list(): { label: string; created: string; revoked: string | null }[] {
    this.refresh();
    return this.entries.map(({ label, created, revoked }) => ({ label, created, revoked }));
  }

  /** Makes a new token and returns `label:secret`; the secret is not stored and cannot be shown again. */
  create(label: string, now = new Date()): string {
    if (!LABEL.test(label)) {
      throw new TokenStoreError(`label must be 1-${PUSH_TOKEN_LABEL_MAX_LENGTH} of A-Za-z0-9._-`);
    }
    this.refresh();
    if (this.entries.some((e) => e.label === label)) {
      // A revoked label stays taken: its batches in storage must keep meaning one sensor.
      throw new TokenStoreError(`label "${label}" already exists in ${this.path}; choose another`);
    }
    const token = `${label}:${randomBytes(TOKEN_SECRET_BYTES).toString("base64url")}`;
    const { secret } = parsePushToken(token);
    const key = deriveTokenKey(secret).toString("base64url");
    this.save([...this.entries, { label, key, created: now.toISOString(), revoked: null }]);
    return token;
  }

  revoke(label: string, now = new Date()): void {
    this.refresh();
    const entry = this.entries.find((e) => e.label === label);
    if (!entry) throw new TokenStoreError(`no token labelled "${label}" in ${this.path}`);
    if (entry.revoked !== null) return;
    this.save(this.entries.map((e) => (e === entry ? { ...e, revoked: now.toISOString() } : e)));
  }

  lookup(label: string): TokenLookup {
    this.refresh();
    const entry = this.entries.find((e) => e.label === label);
    if (!entry) return { state: "unknown" };
    if (entry.revoked !== null) return { state: "revoked" };
    const key = Buffer.from(entry.key, "base64url");
    return key.length === TOKEN_KEY_BYTES ? { state: "active", key } : { state: "unknown" };
  }

  private refresh(): void {
    if (!existsSync(this.path)) {
      this.entries = [];
      this.seen = "";
      return;
    }
    const st = statSync(this.path);
    const seen = `${st.mtimeMs}/${st.size}/${st.ino}`;
    if (seen === this.seen) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, "utf8"));
    } catch (cause) {
      throw new TokenStoreError(`cannot read the token file ${this.path}`, { cause });
    }
    const result = fileSchema.safeParse(parsed);
    if (!result.success) {
      throw new TokenStoreError(`${this.path} is not a version ${TOKEN_FILE_VERSION} token file`, {
        cause: result.error,
      });
    }
    this.entries = result.data.tokens;
    this.seen = seen;
  }

  private save(entries: TokenEntry[]): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const text = `${JSON.stringify({ version: TOKEN_FILE_VERSION, tokens: entries }, null, 2)}\n`;
      writeFileAtomicSync(this.path, text, TOKEN_FILE_MODE);
      // The mode given at creation is filtered by the umask; the file must not be readable by others.
      chmodSync(this.path, TOKEN_FILE_MODE);
    } catch (cause) {
      throw new TokenStoreError(`cannot write the token file ${this.path}`, { cause });
    }
    this.entries = entries;
    const st = statSync(this.path);
    this.seen = `${st.mtimeMs}/${st.size}/${st.ino}`;
  }
}
