// Running the host's commands (systemctl, the CloudWatch agent's control script, chown) with
// execFile: an argument vector, no shell, a time limit, and an environment without secrets (the boot
// never puts one in an argument or a variable; the sensor reads its token from its config file).

import { execFile } from "node:child_process";

/** A command that hangs (systemctl waiting on a stuck unit) fails the step instead of the boot hanging. */
export const COMMAND_TIMEOUT_MS = 120_000;
/** Output kept per stream, for a reason or a log line. */
const OUTPUT_KEEP_CHARS = 4_000;

export interface CommandResult {
  /** Exit status; null when the command could not be started (`error` says why) or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run at all (ENOENT: not installed), or how it was stopped. */
  error?: string;
  errno?: string;
}

export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

export function execRunner(timeoutMs = COMMAND_TIMEOUT_MS): CommandRunner {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(
        command,
        [...args],
        { timeout: timeoutMs, maxBuffer: 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          const out = { stdout: stdout.slice(-OUTPUT_KEEP_CHARS), stderr: stderr.slice(-OUTPUT_KEEP_CHARS) };
          if (error === null) return resolve({ code: 0, ...out });
          const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          if (typeof e.code === "number") return resolve({ code: e.code, ...out });
          resolve({
            code: null,
            ...out,
            error: e.killed ? `killed after ${timeoutMs} ms` : e.message,
            ...(typeof e.code === "string" ? { errno: e.code } : {}),
          });
        },
      );
    });
}

/** `<command> <args>` exited with … / could not start …, with the first line of its stderr. */
export function describeFailure(command: string, args: readonly string[], r: CommandResult): string {
  const what = `${command} ${args.join(" ")}`;
  const firstLine = r.stderr
    .split("\n")
    .find((l) => l.trim() !== "")
    ?.trim()
    .slice(0, 200);
  if (r.code === null) return `${what} could not run: ${r.error ?? "unknown error"}`;
  return `${what} exited with ${r.code}${firstLine === undefined ? "" : `: ${firstLine}`}`;
}
