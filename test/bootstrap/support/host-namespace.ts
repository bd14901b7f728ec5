// The host a `spanless bootstrap` process sees in test/bootstrap/cli.e2e.test.ts: a private mount
// namespace (`unshare --mount --propagation private`, as root) in which the paths the boot writes are
// mounts that only this namespace sees, so the real CLI runs with its real paths, its real command
// runner and the real sensor user, and the host stays as it was:
//
// - /etc, /var and /opt get an overlay whose upper layer is on a tmpfs of the namespace, only so that
//   the mount points below can be made (the host has no /etc/spanless, /var/lib/spanless, …);
// - /etc/passwd and /etc/group: bind-mounted copies with a `spanless` system user (the image's sysusers.d);
// - /etc/spanless and /etc/systemd/system: bind-mounted scratch directories the test reads afterwards
//   (the latter a copy of the host's);
// - /var/lib/spanless, /var/log/spanless, /opt/aws: tmpfs; the image's tmpfiles.d rules then make the
//   sensor's directories with their owners, as systemd-tmpfiles-setup does at boot;
// - systemctl (the path the bootstrap's `systemctl` resolves to on PATH): a fake bound over it that logs
//   its argument vectors and, for enable --now / start / restart, starts the real sensor of this checkout
//   in the background as the spanless user (setpriv), with a clean environment, as the unit would;
// - the CloudWatch agent's control script exists only when a case asks for it (a fake that logs its
//   arguments and keeps a copy of the configuration it was given).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUDWATCH_AGENT_CTL, SENSOR_CONFIG_FILE, SENSOR_SERVICE } from "../../../contracts/host/index.js";

/** The host paths the boot writes, hidden by the namespace's mounts; they must not exist (or change) on the host. */
export const HIDDEN_PATHS = ["/etc/spanless", "/var/lib/spanless", "/var/log/spanless", "/opt/aws"] as const;
/** The PATH cloud-init gives user data; the bootstrap finds `systemctl` and `id` on it. */
export const BOOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The namespace script exits with this when a mount or the tmpfiles rules failed (not the CLI's status). */
export const SETUP_FAILED = 100;

export interface SensorUser {
  uid: number;
  gid: number;
}

/** Which system command the bootstrap's `systemctl` is, on BOOT_PATH (the file the fake is bound over). */
export function systemctlPath(): string | undefined {
  const r = spawnSync("sh", ["-c", "command -v systemctl"], {
    encoding: "utf8",
    env: { PATH: BOOT_PATH },
  });
  const path = r.stdout.trim();
  return r.status === 0 && path.startsWith("/") ? path : undefined;
}

/**
 * Copies of the host's /etc/passwd and /etc/group with a `spanless` system user and group at the highest
 * ID below 1000 that neither file uses (sysusers.d allocates system IDs downward from 999 too).
 */
export function writeSensorUserFiles(dir: string): SensorUser {
  const passwd = readFileSync("/etc/passwd", "utf8");
  const group = readFileSync("/etc/group", "utf8");
  const ids = (text: string) => new Set(text.split("\n").map((l) => Number(l.split(":")[2])));
  const usedUids = ids(passwd);
  const usedGids = ids(group);
  let id = 999;
  while (id > 100 && (usedUids.has(id) || usedGids.has(id))) id--;
  const user = { uid: id, gid: id };
  const line = (text: string) => (text.endsWith("\n") || text === "" ? text : `${text}\n`);
  writeFileSync(
    join(dir, "passwd"),
    `${line(passwd)}spanless:x:${id}:${id}:Spanless sensor:/:/usr/sbin/nologin\n`,
    { mode: 0o644 },
  );
  writeFileSync(join(dir, "group"), `${line(group)}spanless:x:${id}:\n`, { mode: 0o644 });
  return user;
}

/** Runs in the namespace: the mounts, the image's directories, then the CLI; its status is the CLI's. */
const NAMESPACE_SCRIPT = `#!/bin/bash
# Arguments: <shared dir> <case dir> <agent|no-agent> <node> <spanless.js> <repository> -- <bootstrap flags>
set -euo pipefail
shared=$1 case_dir=$2 agent=$3 node=$4 cli=$5 repo=$6
shift 6
[ "$1" = -- ] && shift
trap 'echo "namespace setup failed at line $LINENO: $BASH_COMMAND" >&2; exit ${SETUP_FAILED}' ERR
mount -t tmpfs -o mode=0700 spanless-e2e-layers "$case_dir/ns"
for top in etc var opt; do
  mkdir -p "$case_dir/ns/$top/upper" "$case_dir/ns/$top/work"
  mount -t overlay "spanless-e2e-$top" \\
    -o "lowerdir=/$top,upperdir=$case_dir/ns/$top/upper,workdir=$case_dir/ns/$top/work" "/$top"
done
mkdir -p /etc/spanless /var/lib/spanless /var/log/spanless /opt/aws
mount --bind "$shared/passwd" /etc/passwd
mount --bind "$shared/group" /etc/group
mount --bind "$case_dir/etc-spanless" /etc/spanless
mount --bind "$case_dir/systemd-system" /etc/systemd/system
mount -t tmpfs -o mode=0755,size=64m spanless-e2e-state /var/lib/spanless
mount -t tmpfs -o mode=0755,size=64m spanless-e2e-log /var/log/spanless
mount -t tmpfs -o mode=0755,size=16m spanless-e2e-aws /opt/aws
systemd-tmpfiles --create "$repo/sensor-ami/systemd/spanless.tmpfiles.conf"
mount --bind "$case_dir/systemctl" "$(command -v systemctl)"
if [ "$agent" = agent ]; then
  install -D -m 0755 "$case_dir/amazon-cloudwatch-agent-ctl" "${CLOUDWATCH_AGENT_CTL}"
fi
trap - ERR
set +e
cd /
"$node" "$cli" bootstrap "$@"
code=$?
# What the boot left, seen from inside (names resolve through this namespace's passwd and group).
{
  for f in /etc/spanless /etc/spanless/sensor.json /var/log/spanless /var/log/spanless/zeek \\
    /var/lib/spanless/spool /var/lib/spanless/boot-complete.json \\
    /etc/systemd/system/spanless-sensor.service.d/50-memory.conf \\
    /opt/aws/amazon-cloudwatch-agent/etc/spanless.json; do
    if [ -e "$f" ]; then stat -c 'stat %n %a %U:%G' "$f"; else echo "missing $f"; fi
  done
  for m in /etc/spanless /var/lib/spanless /var/log/spanless /opt/aws /etc/systemd/system /etc/passwd \\
    "$(command -v systemctl)"; do
    echo "mount $m $(findmnt -n -o FSTYPE --mountpoint "$m" || echo none)"
  done
} >"$case_dir/inside.txt" 2>&1
exit "$code"
`;

/** The fake systemctl of one case (paths baked in: it runs with the CLI's environment, nothing of the test's). */
function fakeSystemctl(caseDir: string, user: SensorUser, node: string, cli: string): string {
  return `#!/bin/bash
# Fake systemctl bound over the real one in the test's mount namespace (test/bootstrap/support/host-namespace.ts).
log='${caseDir}/systemctl-argv.log'
pidfile='${caseDir}/sensor.pid'
printf '%s\\n' "$*" >>"$log"
env >'${caseDir}/systemctl-env.txt'
unit=${SENSOR_SERVICE}
running() {
  [ -s "$pidfile" ] || return 1
  local pid state
  pid=$(cat "$pidfile")
  state=$(sed -E 's/^[0-9]+ \\(.*\\) ([A-Z]).*/\\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
start() {
  # As the unit: user and group spanless, a clean environment, output to the service log, cwd /.
  # setsid: its own process group, so that stop (and the test) can end it and its relaunched child.
  cd /
  setsid setpriv --reuid=${user.uid} --regid=${user.gid} --clear-groups -- \\
    env -i PATH=/usr/bin:/bin LANG=C.UTF-8 '${node}' '${cli}' sensor --config ${SENSOR_CONFIG_FILE} \\
    >>'${caseDir}/sensor.log' 2>&1 </dev/null &
  echo $! >"$pidfile"
}
stop() {
  running || return 0
  local pid
  pid=$(cat "$pidfile")
  # KillMode=mixed: the stop signal to the main process (the launcher passes it on), SIGKILL to what is left.
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do running || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
unsupported() { echo "fake systemctl: $* is not supported" >&2; exit 1; }
case "$1" in
  daemon-reload) exit 0 ;;
  is-active)
    shift
    [ "$1" = --quiet ] && shift
    [ "$1" = "$unit" ] && running && exit 0
    exit 3 ;;
  enable)
    [ "$2" = --now ] && [ "$3" = "$unit" ] || unsupported "$@"
    running || start ;;
  start) [ "$2" = "$unit" ] || unsupported "$@"; running || start ;;
  restart) [ "$2" = "$unit" ] || unsupported "$@"; stop; start ;;
  stop) [ "$2" = "$unit" ] || unsupported "$@"; stop ;;
  *) unsupported "$@" ;;
esac
exit 0
`;
}

function fakeAgentCtl(caseDir: string): string {
  return `#!/bin/bash
# Fake amazon-cloudwatch-agent-ctl: logs its arguments, keeps a copy of the configuration it is given.
printf '%s\\n' "$*" >>'${caseDir}/agent-argv.log'
for a in "$@"; do
  case "$a" in file:*) cp "\${a#file:}" '${caseDir}/agent-config.json' ;; esac
done
exit 0
`;
}

export interface NamespaceRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The case's scratch directory (host-visible). */
  dir: string;
  /** The namespace's /etc/spanless, as the host sees it. */
  etcSpanless: string;
  /** The namespace's /etc/systemd/system, as the host sees it. */
  systemdSystem: string;
  read(name: string): string;
  /** The sensor's process group (the fake systemctl's pid file), when one was started. */
  sensorPid(): number | undefined;
}

export interface HostNamespace {
  /** One boot: the CLI in a fresh namespace with `env` only (no variable of the test's own). */
  boot(
    name: string,
    args: readonly string[],
    env: Record<string, string>,
    options?: { agent?: boolean; timeoutMs?: number },
  ): Promise<NamespaceRun>;
}

/** Shared pieces (user files) in `scratch`, one directory per boot below it. */
export function hostNamespace(
  scratch: string,
  user: SensorUser,
  program: { node: string; cli: string; repo: string },
): HostNamespace {
  const script = join(scratch, "namespace.sh");
  writeFileSync(script, NAMESPACE_SCRIPT, { mode: 0o755 });
  return {
    async boot(name, args, env, options = {}) {
      if (/['"\\\s$`]/.test(scratch)) throw new Error(`scratch path ${scratch} needs quoting`);
      const dir = join(scratch, name);
      const etcSpanless = join(dir, "etc-spanless");
      const systemdSystem = join(dir, "systemd-system");
      mkdirSync(join(dir, "ns"), { recursive: true });
      mkdirSync(etcSpanless);
      cpSync("/etc/systemd/system", systemdSystem, { recursive: true, verbatimSymlinks: true });
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, "systemctl"), fakeSystemctl(dir, user, program.node, program.cli), {
        mode: 0o755,
      });
      if (options.agent === true)
        writeFileSync(join(dir, "amazon-cloudwatch-agent-ctl"), fakeAgentCtl(dir), { mode: 0o755 });
      const argv = [
        "--mount",
        "--propagation",
        "private",
        "bash",
        script,
        scratch,
        dir,
        options.agent === true ? "agent" : "no-agent",
        program.node,
        program.cli,
        program.repo,
        "--",
        ...args,
      ];
      // Its own process group, so that a boot that hangs is ended with everything it started (but the
      // sensor, which the fake systemctl puts in a session of its own: ended by its pid file).
      const child = spawn("unshare", argv, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {
          // already gone
        }
      }, options.timeoutMs ?? 60_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.once("close", (c, s) => resolve([c, s])),
      );
      clearTimeout(timer);
      writeFileSync(join(dir, "boot.stdout"), stdout);
      writeFileSync(join(dir, "boot.stderr"), stderr);
      const read = (file: string) => {
        const path = join(dir, file);
        return existsSync(path) ? readFileSync(path, "utf8") : "";
      };
      return {
        code,
        signal,
        stdout,
        stderr,
        dir,
        etcSpanless,
        systemdSystem,
        read,
        sensorPid: () => {
          const pid = Number(read("sensor.pid").trim());
          return Number.isInteger(pid) && pid > 0 ? pid : undefined;
        },
      };
    },
  };
}

/** A process's state letter from /proc (undefined: gone). Zombies count as gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X" ? undefined : state;
  } catch {
    return undefined;
  }
}

/** Live processes whose process group is `pgid`. */
export function processGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && procState(Number(entry)) !== undefined) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Live processes whose command line contains `needle`. */
export function processesWith(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      if (cmdline.includes(needle) && procState(Number(entry)) !== undefined)
        found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Ends a process group (SIGTERM to its leader, then SIGKILL to all after `graceMs`) and waits until none of it is left. */
export async function endProcessGroup(pgid: number, graceMs = 10_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // already gone
    }
  };
  if (processGroup(pgid).length === 0) return;
  // As the unit's KillMode=mixed: SIGTERM to the main process (the launcher passes it on to its child).
  try {
    process.kill(pgid, "SIGTERM");
  } catch {
    // the leader is gone; its child is killed below
  }
  const deadline = Date.now() + graceMs;
  while (processGroup(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (processGroup(pgid).length === 0) return;
  signal("SIGKILL");
  for (let i = 0; i < 50 && processGroup(pgid).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * What the test must leave as it found: whether each hidden path exists, the files the namespace binds
 * over (their digests) and the names under /etc/systemd/system.
 */
export function hostState(systemctl: string): Record<string, string> {
  const digest = (file: string) =>
    existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "absent";
  const state: Record<string, string> = {};
  for (const p of HIDDEN_PATHS) state[p] = existsSync(p) ? readdirSync(p).sort().join(",") : "absent";
  state["/etc/passwd"] = digest("/etc/passwd");
  state["/etc/group"] = digest("/etc/group");
  state[systemctl] = digest(systemctl);
  state["/etc/systemd/system"] = (readdirSync("/etc/systemd/system", { recursive: true }) as string[])
    .sort()
    .join(",");
  return state;
}

/** Mounts of the host's own mount namespace whose source or target names `needle` or a hidden path. */
export function hostMountsOf(needle: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.includes(needle) || HIDDEN_PATHS.some((p) => l.split(" ")[4]?.startsWith(p) === true));
}
