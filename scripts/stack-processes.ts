// Child processes of `npm run stack`: each in its own process group (so a
// terminal's Ctrl-C reaches only the stack script, which then stops them in
// order), output appended to a log file, health polled over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createServer } from "node:net";

export interface Child {
  readonly name: string;
  readonly log: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs: number): Promise<number | string>;
}

export function startChild(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; log: string },
): Child {
  const fd = openSync(opts.log, "a");
  const proc = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) =>
    proc.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    name,
    log: opts.log,
    proc,
    exited,
    running,
    async stop(graceMs) {
      if (running()) proc.kill("SIGTERM");
      const timer = setTimeout(() => running() && proc.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls `url` until it answers 2xx; fails early if `child` exits. */
export async function waitHealthy(url: string, child: Child | null, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child && !child.running()) throw new Error(`${child.name} exited during start-up; see ${child.log}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not healthy after ${timeoutMs / 1000} s${child ? `; see ${child.log}` : ""}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The usual port when it is free (URLs people know), else one the OS picks. */
export async function pickPort(preferred: number): Promise<number> {
  if (await canListen(preferred)) return preferred;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
