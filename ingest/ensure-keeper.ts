// Runs an idempotent "ensure" (the rollup's bucket and task, the replication
// to a central InfluxDB) at start and, while it fails (InfluxDB down, a token
// without rights), again with a doubling delay: a missing object never stops
// ingestion. `what` names it in the log: "<what> ensured", "<what> not
// ensured: will retry".
import type { Logger } from "../shared/log.js";

export interface KeeperOptions<T> {
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Called once, after the first successful pass. */
  onEnsured?: (state: T) => void;
}

export class EnsureKeeper<T extends object> {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  state: T | undefined;

  constructor(
    private readonly what: string,
    private readonly ensure: () => Promise<T>,
    private readonly log: Logger,
    private readonly opts: KeeperOptions<T> = {},
  ) {
    this.delayMs = opts.firstRetryMs ?? 5_000;
  }

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      const state = await this.ensure();
      this.state = state;
      const fields = { ...state } as Record<string, unknown>;
      this.log.info(fields, `${this.what} ensured`);
      this.opts.onEnsured?.(state);
    } catch (err) {
      if (this.stopped) return;
      this.log.warn(
        { err: (err as Error).message, retryInMs: this.delayMs },
        `${this.what} not ensured: will retry`,
      );
      this.timer = setTimeout(() => void this.attempt(), this.delayMs);
      this.timer.unref();
      this.delayMs = Math.min(this.delayMs * 2, this.opts.maxRetryMs ?? 300_000);
    }
  }
}
