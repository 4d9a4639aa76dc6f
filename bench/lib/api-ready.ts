// Waits for an API child process to answer /readyz (InfluxDB reachable).
import type { ServiceProcess } from "../../test/support/processes.js";

export async function waitForApiReady(baseUrl: string, api: ServiceProcess): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (tries > 300 || api.child.exitCode !== null)
      throw new Error(`API did not become ready: ${api.stderr().slice(-500).replace(/\s+/g, " ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
