// A real Prometheus started with a given config text (the repo's
// prometheus.yml, targets substituted), queried over its HTTP API.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PromResult {
  resultType: string;
  result: { metric: Record<string, string>; value?: [number, string] }[];
}

export interface ConfiguredPrometheus {
  url: string;
  port: number;
  configFile: string;
  /** Instant query; throws on a PromQL error. */
  query(promql: string): Promise<PromResult>;
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheusWithConfig(
  bin: string,
  port: number,
  configText: string,
): Promise<ConfiguredPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "prometheus-stack-"));
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, configText);
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const get = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; error?: string; data: T };
    if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    port,
    configFile,
    query: (promql) => get<PromResult>(`/api/v1/query?query=${encodeURIComponent(promql)}`),
    get,
    stop,
  };
}
