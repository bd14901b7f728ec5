// `spanless token create <label> | list | revoke <label>  [--store <dir> | --tokens <file>]`: the
// collector's push tokens. `create` prints `label:secret` once; only a key derived from the secret is kept.

import { parseArgs } from "node:util";
import { defaultTokenFile, TokenStore, TokenStoreError } from "../collector/index.js";

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 64;

export const TOKEN_USAGE = `usage: spanless token create <label> [--store <dir> | --tokens <file>]
       spanless token list [--store <dir> | --tokens <file>] [--json]
       spanless token revoke <label> [--store <dir> | --tokens <file>]

create   makes a push token and prints label:secret ONCE (put it in the sensor's push-token
         parameter); the collector keeps only a key derived from the secret
list     labels, when each was made, and whether it is revoked
revoke   refuses the label's batches from now on (a running collector re-reads the file)

options:
  --store <dir>     the collector's store; the token file is <dir>/tokens.json
  --tokens <file>   the token file itself (as the collector's --tokens)
  --json            list as JSON
`;

export interface TokenIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: TokenIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function parseTokenArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: "string" },
      tokens: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

export function runToken(argv: string[], io: TokenIo = processIo): number {
  let values: ReturnType<typeof parseTokenArgs>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parseTokenArgs(argv));
  } catch (error) {
    io.stderr(`spanless token: ${(error as Error).message}\n\n${TOKEN_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout(TOKEN_USAGE);
    return EXIT_OK;
  }
  const [action, label, ...extra] = positionals;
  const file = values.tokens ?? (values.store ? defaultTokenFile(values.store) : undefined);
  const needsLabel = action === "create" || action === "revoke";
  const problem =
    action === undefined || !["create", "list", "revoke"].includes(action)
      ? "expected create, list or revoke"
      : file === undefined
        ? "missing --store <dir> or --tokens <file>"
        : needsLabel && label === undefined
          ? `${action} needs a <label>`
          : extra.length > 0 || (!needsLabel && label !== undefined)
            ? "too many arguments"
            : undefined;
  if (problem || file === undefined) {
    io.stderr(`spanless token: ${problem}\n\n${TOKEN_USAGE}`);
    return EXIT_USAGE;
  }
  const store = new TokenStore(file);
  try {
    if (action === "create") {
      io.stdout(`${store.create(label!)}\n`);
      io.stderr(
        `spanless token: the secret is not stored and cannot be shown again; ${file} holds only its derived key\n`,
      );
    } else if (action === "revoke") {
      store.revoke(label!);
      io.stderr(`spanless token: ${label} revoked\n`);
    } else {
      const tokens = store.list();
      if (values.json) io.stdout(`${JSON.stringify(tokens)}\n`);
      else
        for (const t of tokens) {
          io.stdout(`${t.label}\tcreated ${t.created}\t${t.revoked ? `revoked ${t.revoked}` : "active"}\n`);
        }
    }
  } catch (error) {
    if (!(error instanceof TokenStoreError)) throw error;
    const cause = error.cause ? ` (${(error.cause as Error).message ?? error.cause})` : "";
    io.stderr(`spanless token: ${error.message}${cause}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
