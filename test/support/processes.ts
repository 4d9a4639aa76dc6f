// Runs one of the product's entry points as a real child process (tsx, as
// `npm run ...` does, or compiled), with its JSON log lines kept for assertions.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..", "..");

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far (stdout). */
  readonly logs: Record<string, unknown>[];
  /** Raw stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Polls the logs until one matches, or throws with the recent output after `timeoutMs`. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM (or the given signal), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** `entry` is a source file run through tsx, or a compiled `.js` file (dist/) run by plain node, as the Dockerfile does. */
export function startService(entry: string, env: Record<string, string>): ServiceProcess {
  const args = entry.endsWith(".js") ? [join(repo, entry)] : ["--import", "tsx", join(repo, entry)];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let err = "";
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-20_000);
  });
  // "close", not "exit": it comes once stdout is drained, so the last log lines are in.
  const exited = new Promise<number | string>((resolve) =>
    child.once("close", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );

  const waitForLog = async (match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < until) {
      for (; seen < logs.length; seen++) if (match(logs[seen]!)) return logs[seen]!;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const tail = logs
      .slice(-15)
      .map((l) => JSON.stringify(l))
      .join("\n");
    throw new Error(
      `${entry}: expected log line not seen (exit ${child.exitCode}).\nlast logs:\n${tail}\nstderr:\n${err.slice(-3000)}`,
    );
  };

  return {
    child,
    logs,
    stderr: () => err,
    exited,
    waitForLog,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
