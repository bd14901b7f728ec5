// A fake systemctl for the boot's sensor-start and health-check: `enable --now` and `restart` start
// the real sensor process (`spanless sensor --config <file>`, the built CLI) or, for the case of a
// sensor that never turns healthy, a stand-in that answers /healthcheck 503 (or, for one that dies
// at start, a process that exits at once); `is-active` tells whether
// that process runs; `daemon-reload` is recorded. Every other command goes to the real runner.
import { type ChildProcess, spawn } from "node:child_process";
import type { CommandRunner } from "../../../sensor-ami/src/bootstrap/commands.js";
import { CLI, NODE } from "../../daemon/support/live.js";

export type Unit = "sensor" | "unhealthy-stand-in" | "unaccepted-stand-in" | "crashing";

const STAND_IN = `
const port = Number(process.argv[1]);
require("node:http").createServer((req, res) => {
  res.writeHead(503, { "content-type": "text/plain" }).end("UNHEALTHY\\nreceiver: the stand-in never receives\\n");
}).listen(port, "0.0.0.0");
`;

/** Healthy, but the collector never accepts its handshake (what /status says then). */
const UNACCEPTED = `
const port = Number(process.argv[1]);
const status = { snapshot: { shipping: { lastHandshakeAt: null, lastUploadAt: null,
  handshakeError: "collector.example:443 answered 401 to the handshake: the push token is refused" } } };
require("node:http").createServer((req, res) => {
  if (req.url === "/status") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(status));
  else res.writeHead(200, { "content-type": "text/plain" }).end("OK\\n");
}).listen(port, "0.0.0.0");
`;

export class FakeSystemd {
  readonly calls: string[][] = [];
  /** argv and environment of every process started, to check that no secret is in either. */
  readonly started: { argv: string[]; env: NodeJS.ProcessEnv }[] = [];
  private proc: ChildProcess | undefined;
  private output = "";

  constructor(
    private readonly configFile: string,
    private readonly unit: Unit,
    private readonly healthPort: number,
  ) {}

  /** The sensor's own output (journald's, on a host): not part of the boot log. */
  get journal(): string {
    return this.output;
  }

  runner(real: CommandRunner): CommandRunner {
    return async (command, args) => {
      if (command !== "systemctl") return real(command, args);
      this.calls.push([...args]);
      const ok = { code: 0, stdout: "", stderr: "" };
      switch (args[0]) {
        case "daemon-reload":
          return ok;
        case "is-active":
          return this.running() ? ok : { code: 3, stdout: "", stderr: "" };
        case "enable":
          if (!this.running()) this.start();
          return ok;
        case "restart":
          await this.stop();
          this.start();
          return ok;
        default:
          return { code: 1, stdout: "", stderr: `fake systemctl: ${args.join(" ")} not supported` };
      }
    };
  }

  running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private start(): void {
    const argv =
      this.unit === "sensor"
        ? [CLI, "sensor", "--config", this.configFile]
        : this.unit === "crashing"
          ? ["-e", "process.exit(1)"]
          : ["-e", this.unit === "unaccepted-stand-in" ? UNACCEPTED : STAND_IN, String(this.healthPort)];
    const env = { ...process.env };
    this.started.push({ argv, env });
    const proc = spawn(NODE, argv, { stdio: ["ignore", "pipe", "pipe"], env });
    proc.stdout?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    this.proc = proc;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !this.running()) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
